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

/// The services each of `src/services`'s modules names in its `use` paths,
/// its tests aside (a module's folder counts as the module).
fn service_imports() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services");
    let modules: Vec<(String, String)> = sources(&root)
        .into_iter()
        .map(|(path, text)| {
            let relative = Path::new(&path).strip_prefix(&root).unwrap().to_owned();
            let module = relative.iter().next().unwrap().to_string_lossy();
            (module.trim_end_matches(".rs").to_owned(), text)
        })
        .collect();
    let names: Vec<&str> = modules.iter().map(|(name, _)| name.as_str()).collect();
    let mut imports = std::collections::BTreeMap::new();
    for (module, text) in &modules {
        let code = text.split("#[cfg(test)]").next().unwrap();
        let used: &mut std::collections::BTreeSet<String> =
            imports.entry(module.clone()).or_default();
        for path in code.split("crate::services::").skip(1) {
            // `x::...` or `{a, b::c, ...}`: the first segment of each name.
            let list = match path.strip_prefix('{') {
                Some(list) => &list[..list.find('}').unwrap()],
                None => path.split([';', ',', ')', ' ', '\n']).next().unwrap(),
            };
            for name in list.split(',') {
                let first = name.trim().split("::").next().unwrap();
                if names.contains(&first) && first != module {
                    used.insert(first.to_owned());
                }
            }
        }
    }
    imports
}

#[test]
fn the_services_import_one_another_without_a_circle() {
    let imports = service_imports();
    assert!(imports["sales"].contains("pieces"), "{imports:#?}");
    // Depth-first: a module met again while its own imports are walked closes a circle.
    fn walk<'a>(
        module: &'a str,
        imports: &'a std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut std::collections::BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| *m == module) {
            let mut circle: Vec<String> = path[start..].iter().map(|m| m.to_string()).collect();
            circle.push(module.to_owned());
            return Some(circle);
        }
        if !done.insert(module) {
            return None;
        }
        path.push(module);
        for next in imports.get(module).into_iter().flatten() {
            if let Some(circle) = walk(next, imports, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        None
    }
    let mut done = std::collections::BTreeSet::new();
    for module in imports.keys() {
        let circle = walk(module, &imports, &mut Vec::new(), &mut done);
        assert!(circle.is_none(), "services import in a circle: {circle:?}");
    }
}
