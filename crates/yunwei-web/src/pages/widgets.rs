//! The building blocks of a page: sections (text, tables, forms, a permission matrix, a
//! timeline), their fields and cells, and builders for the common list, detail and form
//! shapes. `page.html`/`section.html` render them; every page composes them.

use super::NavItem;
use crate::i18n::Tr;

pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    pub badge: Option<String>,
    /// A button that posts to (action, label, confirmation question).
    pub post: Option<(String, String, String)>,
    /// A small badge after the text: (text, class), e.g. a "breached" marker.
    pub tag: Option<(String, String)>,
    /// A checkbox belonging to a form elsewhere on the page: (form id, name, value).
    pub check: Option<(String, String, String)>,
}

impl Cell {
    pub fn text(t: impl Into<String>) -> Self {
        Self { text: t.into(), href: None, badge: None, post: None, tag: None, check: None }
    }
    pub fn tag(mut self, text: impl Into<String>, class: &str) -> Self {
        self.tag = Some((text.into(), class.into()));
        self
    }
    pub fn link(t: impl Into<String>, href: impl Into<String>) -> Self {
        Self { href: Some(href.into()), ..Self::text(t) }
    }
    pub fn badge(t: impl Into<String>, class: &str) -> Self {
        Self { badge: Some(class.into()), ..Self::text(t) }
    }
    /// A row checkbox for a bulk form; `label` names the row for screen readers.
    pub fn check(form: &str, name: &str, value: impl Into<String>, label: impl Into<String>) -> Self {
        Self { check: Some((form.into(), name.into(), value.into())), ..Self::text(label) }
    }
    pub fn button(action: impl Into<String>, label: impl Into<String>, confirm: impl Into<String>) -> Self {
        Self { post: Some((action.into(), label.into(), confirm.into())), ..Self::text("") }
    }
}

pub struct TableSection {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub next: Option<String>,
}

#[derive(Default)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<(String, String)>,
    pub required: bool,
    pub checked: bool,
    pub disabled: bool,
    pub help: Option<String>,
    pub autocomplete: &'static str,
    /// Height of a textarea (0: the default).
    pub rows: u8,
    /// Spans the whole row of a form laid out in columns.
    pub wide: bool,
    /// What is wrong with the value (after a failed submit), shown beside the input.
    pub error: Option<String>,
}

impl Field {
    pub fn new(kind: &'static str, name: &str, label: String, value: impl Into<String>) -> Self {
        Self { kind, name: name.into(), label, value: value.into(), autocomplete: "off", ..Default::default() }
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn help(mut self, h: String) -> Self {
        self.help = Some(h);
        self
    }
    pub fn options(mut self, o: Vec<(String, String)>) -> Self {
        self.options = o;
        self
    }
    pub fn checked(mut self, c: bool) -> Self {
        self.checked = c;
        self
    }
    pub fn disabled(mut self, d: bool) -> Self {
        self.disabled = d;
        self
    }
    pub fn autocomplete(mut self, a: &'static str) -> Self {
        self.autocomplete = a;
        self
    }
    pub fn rows(mut self, r: u8) -> Self {
        self.rows = r;
        self
    }
    pub fn wide(mut self) -> Self {
        self.wide = true;
        self
    }

    /// A checkbox for a flag that reads as `true` when left out (`active`): a hidden `false`
    /// goes before it, so an unticked box posts `false` and a ticked one `false`, `true` (the
    /// form binder takes the last value). Put both in the form: `fields.extend(Field::flag(…))`.
    pub fn flag(name: &str, label: String, on: bool) -> [Field; 2] {
        [Field::new("hidden", name, String::new(), "false"), Field::new("checkbox", name, label, "true").checked(on)]
    }
}

/// The `?ok=` a command redirects to, shown as the notice above the page it lands on.
#[derive(serde::Deserialize, Default)]
pub struct Notice {
    pub ok: Option<String>,
}

impl Notice {
    pub fn text(&self, tr: Tr) -> Option<String> {
        notice(tr, &self.ok)
    }
}

/// The notice an `ok` query value names (under `notice.`); one the locales lack shows nothing.
pub fn notice(tr: Tr, ok: &Option<String>) -> Option<String> {
    ok.as_ref().map(|k| format!("notice.{k}")).filter(|k| tr.has(k)).map(|k| tr.t(&k))
}

pub struct FormSection {
    pub id: &'static str,
    pub action: String,
    pub method: &'static str,
    pub fields: Vec<Field>,
    pub submit: String,
    pub confirm: Option<String>,
    pub inline: bool,
    /// A heading above the form (or the summary of a folded one).
    pub heading: Option<String>,
    /// Folded into a disclosure (`<details>`); `Some(true)` shows it open.
    pub fold: Option<bool>,
    /// Extra CSS classes, e.g. `cols-3` to lay fields out in a grid.
    pub class: &'static str,
    /// Sends files (`multipart/form-data`).
    pub multipart: bool,
}

impl FormSection {
    pub fn post(id: &'static str, action: impl Into<String>, submit: String, fields: Vec<Field>) -> Self {
        Self {
            id,
            action: action.into(),
            method: "post",
            fields,
            submit,
            confirm: None,
            inline: false,
            heading: None,
            fold: None,
            class: "",
            multipart: false,
        }
    }
    pub fn heading(mut self, h: String) -> Self {
        self.heading = Some(h);
        self
    }
    pub fn folded(mut self, open: bool) -> Self {
        self.fold = Some(open);
        self
    }
    /// A form that uploads a file (its handler reads `multipart/form-data`).
    pub fn multipart(mut self) -> Self {
        self.multipart = true;
        self
    }
    pub fn class(mut self, c: &'static str) -> Self {
        self.class = c;
        self
    }
    pub fn confirm(mut self, c: String) -> Self {
        self.confirm = Some(c);
        self
    }
    pub fn get(id: &'static str, action: impl Into<String>, submit: String, fields: Vec<Field>) -> Self {
        Self { method: "get", inline: true, ..Self::post(id, action, submit, fields) }
    }
}

pub struct MatrixCell {
    pub key: &'static str,
    pub label: String,
    pub scope: &'static str,
}

pub struct MatrixRow {
    pub key: &'static str,
    pub label: String,
    pub cells: Vec<MatrixCell>,
}

pub struct MatrixSection {
    pub action: String,
    pub fields: Vec<Field>,
    pub actions: Vec<(&'static str, String)>,
    pub scopes: Vec<(&'static str, String)>,
    pub rows: Vec<MatrixRow>,
    pub submit: String,
}

/// A button that posts an empty form (with the CSRF token).
pub struct Button {
    pub action: String,
    pub label: String,
    pub confirm: Option<String>,
}

/// A card linking to something to choose (a catalogue item): an icon, a title, a line of
/// text and small facts under it.
pub struct Card {
    pub href: String,
    /// An inline SVG drawn by the server (decorative: hidden from screen readers).
    pub icon: &'static str,
    pub title: String,
    pub text: String,
    pub meta: Vec<String>,
}

/// One entry of a record's history.
pub struct TimelineEntry {
    pub time: String,
    pub actor: String,
    pub what: String,
    pub body: String,
    /// Seen only by the desk (a work note).
    pub internal: bool,
}

pub enum Section {
    Text(String),
    Heading(String),
    /// A heading with a link beside it to the whole list: (heading, href, link text).
    HeadingLink(String, String, String),
    /// Text whose line breaks matter (descriptions, replies).
    Prose(String),
    Pre(String),
    Svg(String),
    /// A knowledge article's text: HTML rendered and sanitised by `yunwei_core::knowledge::render`.
    Article(String),
    /// (text, CSS class) badges in a row.
    Badges(Vec<(String, String)>),
    /// Links between views of one list, with the navigation's label.
    Tabs(String, Vec<NavItem>),
    /// (href, label) links shown as buttons.
    Links(Vec<(String, String)>),
    Buttons(Vec<Button>),
    Facts(Vec<(String, String)>),
    Timeline(Vec<TimelineEntry>),
    Table(TableSection),
    Form(FormSection),
    Matrix(MatrixSection),
    /// A calendar year: twelve month grids with holidays and make-up days marked.
    Year(YearView),
    Cards(Vec<Card>),
}

/// Twelve month grids (weeks start on Monday, as Chinese calendars print them).
pub struct YearView {
    /// Monday to Sunday, short.
    pub weekdays: Vec<String>,
    pub months: Vec<MonthGrid>,
    /// (CSS class, label) of each kind of day marked.
    pub legend: Vec<(String, String)>,
}

pub struct MonthGrid {
    pub title: String,
    /// Rows of seven; `day == 0` is a blank before the first or after the last day.
    pub weeks: Vec<Vec<DayCell>>,
}

pub struct DayCell {
    pub day: u8,
    /// "off" (holiday), "work" (make-up working day), "weekend", or empty.
    pub class: &'static str,
    /// The day's name ("春节"), shown on hover and read by screen readers.
    pub title: String,
}

impl TableSection {
    /// A table whose `columns` are locale keys.
    pub fn new(tr: Tr, columns: &[&str], rows: Vec<Vec<Cell>>) -> Self {
        TableSection { columns: columns.iter().map(|c| tr.t(c)).collect(), rows, next: None }
    }
}

/// The columns every list of tickets shows, in order (locale keys).
pub const TICKET_COLUMNS: [&str; 7] =
    ["field.number", "field.priority", "field.title", "field.state", "field.team", "field.assignee", "field.sla_due"];

impl Section {
    /// Facts labelled by locale keys: `Section::facts(tr, [("field.username", name)])`.
    pub fn facts<'a>(tr: Tr, facts: impl IntoIterator<Item = (&'a str, String)>) -> Section {
        Section::Facts(facts.into_iter().map(|(key, value)| (tr.t(key), value)).collect())
    }
}

impl FormSection {
    /// A button that posts an empty form after the reader confirms (disable, delete, reset…).
    pub fn confirmed(id: &'static str, action: impl Into<String>, label: String, confirm: String) -> Self {
        Self::post(id, action, label, Vec::new()).confirm(confirm)
    }

    /// The "delete" button of a record's page.
    pub fn delete(tr: Tr, action: impl Into<String>) -> Self {
        Self::confirmed("delete", action, tr.t("action.delete"), tr.t("action.delete_confirm"))
    }
}

/// A list page: an optional search box, the table with its next-page link, and how to add
/// one (a button to a form page, or the form itself under a heading).
pub struct ListView {
    search: Option<FormSection>,
    table: TableSection,
    create: Vec<Section>,
}

impl ListView {
    /// The table; `columns` are locale keys.
    pub fn new(tr: Tr, columns: &[&str], rows: Vec<Vec<Cell>>) -> Self {
        Self { search: None, table: TableSection::new(tr, columns, rows), create: Vec::new() }
    }

    pub fn next(mut self, next: Option<String>) -> Self {
        self.table.next = next;
        self
    }

    /// A search box above the table, sending `q` to `action`.
    pub fn search(mut self, tr: Tr, action: &str, q: Option<&str>) -> Self {
        let field = Field::new("search", "q", tr.t("action.search"), q.unwrap_or_default());
        self.search = Some(FormSection::get("search", action, tr.t("action.search"), vec![field]));
        self
    }

    /// A button under the table that opens the page where one is added.
    pub fn create_link(mut self, href: &str, label: String) -> Self {
        self.create.push(Section::Form(FormSection::get("new", href, label, Vec::new())));
        self
    }

    /// The form that adds one, under the table with its heading.
    pub fn create_form(mut self, heading: String, form: FormSection) -> Self {
        self.create.push(Section::Heading(heading));
        self.create.push(Section::Form(form));
        self
    }

    pub fn sections(self) -> Vec<Section> {
        let mut out = Vec::new();
        if let Some(search) = self.search {
            out.push(Section::Form(search));
            out.push(Section::Text(String::new()));
        }
        out.push(Section::Table(self.table));
        out.extend(self.create);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_view_is_search_table_and_create_in_that_order() {
        let tr = Tr::new("en");
        let s = ListView::new(tr, &["field.name"], vec![vec![Cell::text("a")]])
            .next(Some("/x?cursor=2".into()))
            .search(tr, "/x", Some("a"))
            .create_link("/x/new", "New".into())
            .sections();
        assert!(matches!(&s[0], Section::Form(f) if f.id == "search" && f.method == "get" && f.fields[0].value == "a"));
        assert!(matches!(&s[2], Section::Table(t) if t.columns == ["Name"] && t.next.as_deref() == Some("/x?cursor=2")));
        assert!(matches!(&s[3], Section::Form(f) if f.id == "new" && f.action == "/x/new"));
        let d = FormSection::delete(tr, "/x/1/delete");
        assert_eq!((d.id, d.fields.len(), d.confirm.is_some()), ("delete", 0, true));
    }
}
