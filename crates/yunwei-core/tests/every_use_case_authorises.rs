//! Authorisation by construction (ADR 0014): every public core function that takes the
//! caller's context checks it itself — through `Ctx` (`authorize`, `decide`, `may_any`,
//! `me`, `self_service`, `in_session`), a record loader (`load`, `load_read`, `load_ci`), or a helper
//! named `authorize_*` — or says in its documentation why not ("Not authorised here: …").
//! A new use case that forgets its check fails here.

use std::path::Path;

const CHECKS: &[&str] = &[
    "ctx.authorize",
    ".decide(",
    "may_any(",
    ".me()",
    "self_service()",
    "in_session()",
    "load(core",
    "load_read(",
    "load_ci(",
    "authorize_",
    "authorize(core, ctx",
    "scope_filter(ctx",
    "scope_allows(ctx",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(name, signature, doc, body)` of each `pub fn` / `pub async fn` in a file.
fn public_functions(text: &str) -> Vec<(String, String, String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_start();
        if !(line.starts_with("pub fn ") || line.starts_with("pub async fn ")) {
            i += 1;
            continue;
        }
        let mut doc = Vec::new();
        let mut j = i;
        while j > 0 && (lines[j - 1].trim_start().starts_with("///") || lines[j - 1].trim_start().starts_with("#[")) {
            j -= 1;
            doc.push(lines[j].trim());
        }
        // The signature runs to the first `{`; the body to its matching `}`.
        let rest = lines[i..].join("\n");
        let Some(open) = rest.find('{') else { break };
        let signature = rest[..open].to_string();
        let mut depth = 0usize;
        let mut end = open;
        for (k, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + k;
                        break;
                    }
                }
                _ => {}
            }
        }
        let name = line.split("fn ").nth(1).and_then(|s| s.split(['(', '<']).next()).unwrap_or_default().to_string();
        out.push((name, signature, doc.join(" "), rest[open..=end].to_string()));
        i += rest[..=end].lines().count().max(1);
    }
    out
}

#[test]
fn every_public_function_with_a_context_authorises_or_says_why_not() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut seen = 0;
    let mut unchecked = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        // Unit tests at the end of a file are not use cases.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (name, signature, doc, body) in public_functions(text) {
            if !signature.contains("Ctx") {
                continue;
            }
            seen += 1;
            let checks = CHECKS.iter().any(|c| body.contains(c));
            if !checks && !doc.contains("Not authorised here:") {
                unchecked.push(format!("{}: {name}", file.strip_prefix(&src).unwrap_or(file).display()));
            }
        }
    }
    assert!(seen >= 100, "only {seen} public functions with a context found: is the scan still reading the source?");
    assert!(unchecked.is_empty(), "public core functions that take a context but check nothing:\n{}", unchecked.join("\n"));
}

/// The web edge reaches the store only through core: it does not depend on `yunwei-store`,
/// never names it, and never asks for the database itself (`Core::database` is the operator's).
#[test]
fn web_reaches_the_store_only_through_core() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../yunwei-web");
    let manifest = std::fs::read_to_string(web.join("Cargo.toml")).expect("web manifest");
    assert!(!manifest.contains("yunwei-store"), "yunwei-web must not depend on yunwei-store");
    assert!(!manifest.contains("operator"), "yunwei-web must not enable core's `operator` feature");
    let mut files = Vec::new();
    rust_files(&web.join("src"), &mut files);
    assert!(files.len() > 20, "web sources not found");
    let mut wrong = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        for needle in ["yunwei_store", ".database()", "sqlx::"] {
            if text.contains(needle) {
                wrong.push(format!("{}: {needle}", file.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "web goes around core:\n{}", wrong.join("\n"));
}
