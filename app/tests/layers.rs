//! The layers of `app` (see the README's "Layers of `app`") only use the
//! layers below them, and the server reaches no table: checked on the source
//! text, so that a stray import fails here rather than in review.

use std::fs;
use std::path::Path;

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push((
                path.display().to_string(),
                fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    found
}

/// The files under `dir` that name any of `forbidden`.
fn offenders(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let files = sources(&root);
    assert!(!files.is_empty(), "no sources under {}", root.display());
    files
        .into_iter()
        .flat_map(|(path, text)| {
            forbidden
                .iter()
                .filter(|name| text.contains(*name))
                .map(|name| format!("{path} uses {name}"))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn each_layer_uses_only_the_layers_below_it() {
    let rules: [(&str, &[&str]); 4] = [
        (
            "src/domain",
            &[
                "crate::services",
                "crate::storage",
                "crate::pages",
                "crate::components",
            ],
        ),
        (
            "src/storage",
            &["crate::services", "crate::pages", "crate::components"],
        ),
        ("src/services", &["crate::pages", "crate::components"]),
        (
            "src/components",
            &["crate::pages", "crate::services", "crate::storage"],
        ),
    ];
    let broken: Vec<String> = rules
        .iter()
        .flat_map(|(dir, forbidden)| offenders(dir, forbidden))
        .collect();
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn the_server_calls_services_not_tables() {
    let broken = offenders("../server/src", &["app::storage"]);
    assert!(broken.is_empty(), "{broken:#?}");
}
