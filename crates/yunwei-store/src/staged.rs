//! How staged statements become one SQLite batch (ADR 0006, 0007). Commands committed
//! together whose statements have the same texts in the same order are merged position by
//! position: their single-row inserts become one multi-row insert, so SQLite parses and
//! runs one statement where it ran one per command.

use crate::sql::Sql;

/// Statements as one batch text with anonymous placeholders, binds in order.
#[derive(Default)]
pub(crate) struct Staged {
    text: String,
    sql: Option<Sql>,
}

/// SQLite's limit is 32,766 host parameters per statement.
const MAX_PARAMS: usize = 30_000;
const MAX_ROWS: usize = 400;

impl Staged {
    /// Statement text without parameters (`BEGIN`).
    pub(crate) fn push_text(&mut self, text: &str) {
        self.text.push_str(text);
        self.text.push_str(";\n");
    }

    pub(crate) fn push(&mut self, sql: Sql) {
        self.push_text(sql.text());
        self.add_binds(sql);
    }

    fn add_binds(&mut self, sql: Sql) {
        match &mut self.sql {
            Some(all) => all.extend_binds(sql),
            None => self.sql = Some(sql),
        }
    }

    /// The statements of commands committed together, in order, merged where they share a shape.
    pub(crate) fn push_group(&mut self, group: &[&[Sql]]) {
        let mut shapes: Vec<Vec<&[Sql]>> = Vec::new();
        for statements in group {
            let same_shape = |other: &&mut Vec<&[Sql]>| {
                other[0].len() == statements.len() && other[0].iter().zip(statements.iter()).all(|(a, b)| a.text() == b.text())
            };
            match shapes.iter_mut().find(same_shape) {
                Some(members) => members.push(statements),
                None => shapes.push(vec![statements]),
            }
        }
        for members in shapes {
            for k in 0..members[0].len() {
                let same: Vec<&Sql> = members.iter().map(|m| &m[k]).collect();
                self.push_same(&same);
            }
        }
    }

    /// Statements that all have one text: merged into multi-row inserts where that text is a
    /// single-row insert, else each as it is.
    pub(crate) fn push_same(&mut self, same: &[&Sql]) {
        let Some(first) = same.first() else { return };
        match single_row_insert(first.text()).filter(|_| same.len() > 1) {
            Some((head, row, tail)) => {
                let params = row.matches('?').count().max(1);
                for chunk in same.chunks((MAX_PARAMS / params).clamp(1, MAX_ROWS)) {
                    let mut text = String::with_capacity(head.len() + 8 + chunk.len() * (row.len() + 2) + tail.len());
                    text.push_str(head);
                    text.push_str(" VALUES ");
                    for n in 0..chunk.len() {
                        if n > 0 {
                            text.push_str(", ");
                        }
                        text.push_str(row);
                    }
                    text.push_str(tail);
                    self.push_text(&text);
                    for s in chunk {
                        self.add_binds((*s).clone());
                    }
                }
            }
            None => {
                for s in same {
                    self.push((*s).clone());
                }
            }
        }
    }

    /// Everything staged followed by `tail`, as one statement list.
    pub(crate) fn into_batch(self, tail: &str) -> Sql {
        let mut batch = self.sql.unwrap_or_default();
        batch.set_text(self.text + tail);
        batch
    }
}

/// `INSERT INTO t (…) VALUES (?, …)` with an optional clause after the row (`ON CONFLICT …`):
/// the part before ` VALUES `, the row, and the rest.
fn single_row_insert(text: &str) -> Option<(&str, &str, &str)> {
    if !text.starts_with("INSERT INTO ") {
        return None;
    }
    let at = text.find(" VALUES (")?;
    let (head, rest) = (&text[..at], &text[at + " VALUES ".len()..]);
    let end = rest.find(')')? + 1;
    let (row, tail) = rest.split_at(end);
    let only_placeholders = row[1..row.len() - 1].chars().all(|c| matches!(c, '?' | ',' | ' '));
    (only_placeholders && !tail.contains('?') && !tail.trim_start().starts_with(',')).then_some((head, row, tail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Backend;

    fn insert(values: &[i64], tail: &str) -> Sql {
        let mut sql = Sql::bulk("INSERT INTO t (a, b) VALUES (", Backend::Sqlite);
        sql.bind(values[0]).push(", ").bind(values[1]).push(")").push(tail);
        sql
    }

    #[test]
    fn single_row_inserts_are_recognised_and_nothing_else() {
        assert_eq!(single_row_insert("INSERT INTO t (a, b) VALUES (?, ?)"), Some(("INSERT INTO t (a, b)", "(?, ?)", "")));
        assert_eq!(
            single_row_insert("INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING"),
            Some(("INSERT INTO t (a)", "(?)", " ON CONFLICT (a) DO NOTHING"))
        );
        assert_eq!(single_row_insert("INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"), None, "already several rows");
        assert_eq!(single_row_insert("INSERT INTO t (a, b) VALUES (?, 'x')"), None, "a literal in the row");
        assert_eq!(single_row_insert("UPDATE t SET a = ?"), None);
        assert_eq!(single_row_insert("DELETE FROM t WHERE a IN (?, ?)"), None);
    }

    #[test]
    fn commands_of_one_shape_merge_row_by_row_and_others_keep_their_order() {
        let a: Vec<Sql> = vec![insert(&[1, 2], ""), Sql::bulk("UPDATE u SET x = 1", Backend::Sqlite)];
        let b: Vec<Sql> = vec![insert(&[3, 4], ""), Sql::bulk("UPDATE u SET x = 1", Backend::Sqlite)];
        let c: Vec<Sql> = vec![insert(&[5, 6], " ON CONFLICT DO NOTHING")];
        let mut staged = Staged::default();
        staged.push_group(&[&a, &b, &c]);
        let batch = staged.into_batch("COMMIT");
        assert_eq!(
            batch.text(),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?);\nUPDATE u SET x = 1;\nUPDATE u SET x = 1;\nINSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT DO NOTHING;\nCOMMIT"
        );
        assert_eq!(format!("{:?}", batch.binds()), format!("{:?}", [1, 2, 3, 4, 5, 6].map(|v| crate::sql::Value::Int(Some(v)))));
    }

    #[test]
    fn a_merged_insert_stays_under_the_parameter_limit() {
        let rows: Vec<Sql> = (0..1000).map(|n| insert(&[n, n], "")).collect();
        let refs: Vec<&Sql> = rows.iter().collect();
        let mut staged = Staged::default();
        staged.push_same(&refs);
        let text = staged.into_batch("").text().to_string();
        assert_eq!(text.matches("INSERT INTO").count(), 3, "400 + 400 + 200 rows");
        assert_eq!(text.matches('?').count(), 2000);
    }
}
