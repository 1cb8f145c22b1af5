//! Saved views of any list page (the incident queue, the CI list): the user's named filter
//! queries above the list, a form to save the current one, and the save and delete handlers.
//! Which query keys a list takes is core's (`saved_view`); a list here names its paths only.

use super::{Cell, Field, FormSection, Layout, Section, TableSection, redirect};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;
use axum::response::Response;
use serde::Deserialize;
use yunwei_core::saved_view::{self, NewView};

/// One list that keeps saved views.
pub struct ListViews {
    /// `saved_views.object_type`.
    pub object_type: &'static str,
    /// The list page (`/incidents`), which the saved query is appended to.
    pub list: &'static str,
    /// Where the save form posts; `{post}/{id}/delete` removes one.
    pub post: &'static str,
    /// The save form's id (its fields are `f-{form}-name`).
    pub form: &'static str,
    /// The navigation entry the pages belong to.
    pub active: &'static str,
    /// The words of the link back to the list (a locale key).
    pub back: &'static str,
}

pub const INCIDENTS: ListViews = ListViews {
    object_type: "incident",
    list: "/incidents",
    post: "/incidents/views",
    form: "save-view",
    active: "/incidents",
    back: "incident.bulk.back",
};
pub const CIS: ListViews = ListViews {
    object_type: "configuration_item",
    list: "/cmdb",
    post: "/cmdb/views",
    form: "save-ci-view",
    active: "/cmdb",
    back: "cmdb.back_to_list",
};

/// The save-view form: a name for the list's current filter query.
#[derive(Deserialize)]
pub struct ViewForm {
    pub name: String,
    #[serde(default)]
    pub query: String,
}

/// The caller's views of the list (links, each with a delete button) and the save form.
pub async fn sections(state: &AppState, caller: &Caller, lv: &ListViews, query: &str) -> Vec<Section> {
    let tr = caller.tr;
    let mut out = Vec::new();
    let views = saved_view::list(&state.core, &caller.ctx, lv.object_type).await.unwrap_or_default();
    if !views.is_empty() {
        let rows = views
            .iter()
            .map(|v| {
                vec![
                    Cell::link(v.name.clone(), format!("{}?{}", lv.list, v.query)),
                    Cell::button(format!("{}/{}/delete", lv.post, v.id), tr.t("action.delete"), tr.t("incident.view_delete_confirm")),
                ]
            })
            .collect();
        out.push(Section::Table(TableSection { columns: vec![tr.t("incident.saved_views"), String::new()], rows, next: None }));
    }
    let save = vec![Field::new("text", "name", tr.t("field.name"), "").required(), Field::new("hidden", "query", String::new(), query)];
    out.push(Section::Form(
        FormSection::post(lv.form, lv.post, tr.t("incident.save_view"), save).heading(tr.t("incident.save_view")).folded(false),
    ));
    out
}

pub async fn save(state: &AppState, caller: &Caller, lv: &ListViews, f: ViewForm) -> Result<Response, ApiError> {
    let query = f.query.clone();
    let input = NewView { object_type: lv.object_type.into(), name: f.name, query: f.query };
    match saved_view::create(&state.core, &caller.ctx, input).await {
        Ok(v) => Ok(redirect(&format!("{}?{}&ok=view_saved", lv.list, v.query))),
        Err(e) => {
            let tr = caller.tr;
            let layout = Layout {
                title: tr.t("incident.save_view"),
                sections: vec![Section::Links(vec![(format!("{}?{query}", lv.list), tr.t(lv.back))])],
                ..Layout::default()
            };
            super::failed_layout(state, caller, e.into(), layout, lv.active).await
        }
    }
}

pub async fn delete(state: &AppState, caller: &Caller, lv: &ListViews, id: i64) -> Result<Response, ApiError> {
    saved_view::delete(&state.core, &caller.ctx, id).await?;
    Ok(redirect(lv.list))
}
