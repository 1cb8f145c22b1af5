//! Finding the CI a spreadsheet row or a scanner's item is about, by its class's identifying
//! attributes (data: `ci_attributes.identifying`). Identifying attributes that share a
//! `key_group` match only together (host name + domain); the others each by themselves
//! (serial number, asset tag, management IP). Groups are tried in the class's order.

use super::Schema;
use crate::Result;
use serde_json::{Map, Value};
use yunwei_domain::cmdb::{AttrDef, attr};
use yunwei_domain::ids::{CiClassId, CiId};
use yunwei_store::Conn;
use yunwei_store::cmdb::ci::{self as store, AttrFilter};

/// What the identifying attributes found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Nothing,
    One(CiId),
    /// Several CIs hold the key (a host name without its domain): the attribute to name.
    Several(String),
}

/// The identifying attributes of a class, in groups, each group in the class's order.
pub(crate) fn groups<'a>(defs: &[&'a AttrDef]) -> Vec<Vec<&'a AttrDef>> {
    let mut out: Vec<(String, Vec<&AttrDef>)> = Vec::new();
    for d in defs.iter().copied().filter(|d| d.identifying) {
        let key = if d.key_group.is_empty() { format!("attr:{}", d.code) } else { format!("group:{}", d.key_group) };
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(d),
            None => out.push((key, vec![d])),
        }
    }
    out.into_iter().map(|(_, m)| m).collect()
}

/// Each identifying value as the attribute stores it; values that do not parse are left
/// out (the full check of the row or item reports them).
fn normalised(keys: &[&AttrDef], raw: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for d in keys {
        let Some(v) = raw.get(&d.code) else { continue };
        let loose = AttrDef { required: false, pattern: None, min_value: None, max_value: None, ..(*d).clone() };
        let one = Map::from_iter([(d.code.clone(), v.clone())]);
        if let Ok(mut ok) = attr::validate(&[&loose], &one)
            && let Some(v) = ok.remove(&d.code)
        {
            out.insert(d.code.clone(), v);
        }
    }
    out
}

/// The live CI of the class (or a subclass) that the values identify. A group is used when
/// the values fill its first member; its other members count where they are filled.
pub(crate) async fn find(
    conn: &mut Conn,
    backend: yunwei_store::Backend,
    schema: &Schema,
    class: CiClassId,
    raw: &Map<String, Value>,
) -> Result<Found> {
    let defs = schema.attributes(class);
    let keys: Vec<&AttrDef> = defs.iter().copied().filter(|d| d.identifying).collect();
    let values = normalised(&keys, raw);
    let classes = schema.tree.subtree(class);
    for group in groups(&defs) {
        let Some(lead) = group.first() else { continue };
        if !values.contains_key(&lead.code) {
            continue;
        }
        let filters: Vec<AttrFilter> =
            group.iter().filter_map(|d| values.get(&d.code).map(|v| AttrFilter { code: d.code.clone(), value: v.clone() })).collect();
        match store::holders_of_values(&mut *conn, backend, &classes, &filters, None).await?.as_slice() {
            [] => continue,
            [one] => return Ok(Found::One(*one)),
            _ => return Ok(Found::Several(lead.code.clone())),
        }
    }
    Ok(Found::Nothing)
}
