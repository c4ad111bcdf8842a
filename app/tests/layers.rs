//! The project's layers (see the README's "Architecture"): which crate may
//! depend on which, read from each `Cargo.toml`, and what Cargo cannot see,
//! read from the paths the code names (parsed with `syn`, tests aside): the
//! JSON API never reaches the pages' crate, nothing outside the services
//! reaches a table, no public service takes or returns a table's row, and the
//! services import one another without a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Each workspace crate and the workspace crates it may depend on (not
/// counting dev-dependencies): vocabulary at the bottom, the server on top.
const LAYERS: &[(&str, &[&str])] = &[
    ("vocabulary", &[]),
    ("migrations", &[]),
    ("models", &["vocabulary"]),
    ("domain", &["vocabulary"]),
    ("services", &["domain", "models", "vocabulary"]),
    ("app", &["domain", "services", "vocabulary"]),
    ("frontend", &["app"]),
    (
        "server",
        &["app", "domain", "migrations", "models", "services"],
    ),
];

/// The workspace's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The lines of crate `name`'s manifest that declare what it builds with
/// (`[dependencies]`, per-target ones and `[dependencies.x]` tables; not
/// dev- or build-dependencies), each with the dependency it names.
fn dependency_lines(name: &str) -> Vec<(String, String)> {
    let manifest = fs::read_to_string(root().join(name).join("Cargo.toml")).unwrap();
    let mut table: Option<Option<String>> = None;
    let mut found = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_end_matches(']');
            let last = header.rsplit('.').next().unwrap_or_default();
            table = if header == "dependencies" || header.ends_with(".dependencies") {
                Some(None)
            } else if let Some(dependency) = header.strip_prefix("dependencies.") {
                Some(Some(dependency.to_owned()))
            } else if header.contains(".dependencies.") {
                Some(Some(last.to_owned()))
            } else {
                None
            };
        } else if let Some(named) = &table
            && !line.is_empty()
            && !line.starts_with('#')
        {
            let key = line.split(['=', '.', ' ']).next().unwrap_or_default();
            let dependency = named.clone().unwrap_or_else(|| key.to_owned());
            found.push((dependency, line.to_owned()));
        }
    }
    found
}

/// The workspace crates crate `name` builds with.
fn dependencies(name: &str) -> BTreeSet<String> {
    let members: Vec<&str> = LAYERS.iter().map(|(crate_name, _)| *crate_name).collect();
    dependency_lines(name)
        .into_iter()
        .map(|(dependency, _)| dependency)
        .filter(|dependency| members.contains(&dependency.as_str()))
        .collect()
}

#[test]
fn each_crate_depends_only_on_the_layers_below_it() {
    let workspace = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let members_line = workspace
        .lines()
        .find(|line| line.trim_start().starts_with("members"))
        .expect("the workspace's members");
    let mut members: Vec<&str> = members_line.split('"').skip(1).step_by(2).collect();
    members.sort_unstable();
    let mut layered: Vec<&str> = LAYERS.iter().map(|(name, _)| *name).collect();
    layered.sort_unstable();
    assert_eq!(members, layered, "every workspace crate has its layer here");
    for (name, allowed) in LAYERS {
        let allowed: BTreeSet<String> = allowed.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            dependencies(name),
            allowed,
            "{name}'s workspace dependencies"
        );
    }
}

#[test]
fn no_build_turns_on_a_feature_meant_for_tests() {
    // `services`' `testing` makes its tables public; `migrations`' builds
    // throw-away databases. Both are for dev-dependencies only.
    for (name, _) in LAYERS {
        for (dependency, line) in dependency_lines(name) {
            assert!(
                !line.contains("\"testing\""),
                "{name} builds {dependency} with its testing feature: {line}"
            );
        }
    }
}

/// Every `.rs` file under `dir` (or `dir` itself, a file).
fn sources(dir: &Path) -> Vec<PathBuf> {
    if dir.is_file() {
        return vec![dir.to_owned()];
    }
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

/// Whether `attrs` mark an item compiled for tests only: `cfg(test)` or
/// `cfg(all(test, ..))` (not `any(test, ..)`, which other builds compile too).
fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let syn::Meta::List(list) = &attr.meta else {
            return false;
        };
        let condition = list.tokens.to_string().replace(' ', "");
        attr.path().is_ident("cfg")
            && (condition == "test"
                || (condition.starts_with("all(test,") && !condition.contains("not(")))
    })
}

/// The paths (`a::b::c`) written in `tokens`, macro bodies and attributes
/// included, which `syn` does not parse as code.
fn paths_in_tokens(tokens: proc_macro2::TokenStream) -> Vec<String> {
    fn flatten(tokens: proc_macro2::TokenStream, out: &mut String) {
        for tree in tokens {
            match tree {
                proc_macro2::TokenTree::Group(group) => {
                    out.push(' ');
                    flatten(group.stream(), out);
                    out.push(' ');
                }
                proc_macro2::TokenTree::Ident(ident) => {
                    if !out.ends_with(':') {
                        out.push(' ');
                    }
                    out.push_str(&ident.to_string());
                }
                proc_macro2::TokenTree::Punct(punct) if punct.as_char() == ':' => out.push(':'),
                _ => out.push(' '),
            }
        }
    }
    let mut text = String::new();
    flatten(tokens, &mut text);
    text.split_whitespace()
        .filter(|word| word.contains("::"))
        .map(|word| word.trim_matches(':').to_owned())
        .collect()
}

/// A path as `a::b::c`.
fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// The paths a file names outside its tests: every `use` flattened
/// (`use a::{b, c::d}` gives `a::b` and `a::c::d`), and every path in its
/// code with its first segment resolved through those `use`s.
#[derive(Default)]
struct Paths {
    /// Each name a `use` brings in, and the path it stands for.
    imports: BTreeMap<String, String>,
    /// Every path named, resolved.
    named: BTreeSet<String>,
    /// The paths in the signatures of public functions, resolved, with the function's name.
    public_signatures: Vec<(String, String)>,
}

impl Paths {
    /// The paths of the file at `path`.
    fn of(path: &Path) -> Paths {
        let file = syn::parse_file(&fs::read_to_string(path).unwrap())
            .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let mut paths = Paths::default();
        let mut imports = Imports(&mut paths.imports);
        imports.visit_file(&file);
        let mut named = Named {
            imports: &paths.imports,
            found: BTreeSet::new(),
        };
        named.visit_file(&file);
        paths.named = named.found;
        let mut signatures = Signatures {
            imports: &paths.imports,
            found: Vec::new(),
        };
        signatures.visit_file(&file);
        paths.public_signatures = signatures.found;
        paths
    }
}

/// Collects `use` items outside tests.
struct Imports<'a>(&'a mut BTreeMap<String, String>);

impl Imports<'_> {
    fn flatten(&mut self, prefix: &str, tree: &syn::UseTree) {
        let join = |name: &str| {
            if prefix.is_empty() {
                name.to_owned()
            } else {
                format!("{prefix}::{name}")
            }
        };
        match tree {
            syn::UseTree::Path(p) => self.flatten(&join(&p.ident.to_string()), &p.tree),
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                let full = if name == "self" {
                    prefix.to_owned()
                } else {
                    join(&name)
                };
                let last = full.rsplit("::").next().unwrap().to_owned();
                self.0.insert(last, full);
            }
            syn::UseTree::Rename(r) => {
                let name = r.ident.to_string();
                let full = if name == "self" {
                    prefix.to_owned()
                } else {
                    join(&name)
                };
                self.0.insert(r.rename.to_string(), full);
            }
            syn::UseTree::Glob(_) => {
                self.0.insert(format!("{prefix}::*"), join("*"));
            }
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| self.flatten(prefix, t)),
        }
    }
}

impl<'ast> Visit<'ast> for Imports<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        if !is_test_only(&item.attrs) {
            self.flatten("", &item.tree);
        }
    }
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if !is_test_only(&item.attrs) {
            syn::visit::visit_item_mod(self, item);
        }
    }
}

/// `path` with its first segment replaced by what a `use` in `imports` says it is.
fn resolve(imports: &BTreeMap<String, String>, path: &syn::Path) -> String {
    let text = path_text(path);
    let (first, rest) = text.split_once("::").unwrap_or((&text, ""));
    match imports.get(first) {
        Some(full) if rest.is_empty() => full.clone(),
        Some(full) => format!("{full}::{rest}"),
        None => text,
    }
}

/// Collects every path in code outside tests.
struct Named<'a> {
    imports: &'a BTreeMap<String, String>,
    found: BTreeSet<String>,
}

impl<'ast> Visit<'ast> for Named<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.found.insert(resolve(self.imports, path));
        syn::visit::visit_path(self, path);
    }
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.found.extend(paths_in_tokens(mac.tokens.clone()));
        syn::visit::visit_macro(self, mac);
    }
    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        if let syn::Meta::List(list) = &attr.meta {
            self.found.extend(paths_in_tokens(list.tokens.clone()));
        }
    }
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        if !is_test_only(&item.attrs) {
            self.found.extend(self.imports.values().cloned());
        }
    }
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if !is_test_only(&item.attrs) {
            syn::visit::visit_item_mod(self, item);
        }
    }
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if !is_test_only(&item.attrs) {
            syn::visit::visit_item_fn(self, item);
        }
    }
}

/// Collects the paths in public functions' signatures outside tests.
struct Signatures<'a> {
    imports: &'a BTreeMap<String, String>,
    found: Vec<(String, String)>,
}

impl Signatures<'_> {
    fn signature(&mut self, visibility: &syn::Visibility, signature: &syn::Signature) {
        if matches!(visibility, syn::Visibility::Public(_)) {
            let mut named = Named {
                imports: self.imports,
                found: BTreeSet::new(),
            };
            named.visit_signature(signature);
            let name = signature.ident.to_string();
            self.found
                .extend(named.found.into_iter().map(|path| (name.clone(), path)));
        }
    }
}

impl<'ast> Visit<'ast> for Signatures<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        if matches!(item.vis, syn::Visibility::Public(_)) && !is_test_only(&item.attrs) {
            let mut exported = BTreeMap::new();
            Imports(&mut exported).flatten("", &item.tree);
            let exported = exported.into_values();
            self.found
                .extend(exported.map(|path| ("pub use".to_owned(), path)));
        }
    }
    fn visit_field(&mut self, field: &'ast syn::Field) {
        if matches!(field.vis, syn::Visibility::Public(_)) {
            let mut named = Named {
                imports: self.imports,
                found: BTreeSet::new(),
            };
            named.visit_type(&field.ty);
            let name = field
                .ident
                .as_ref()
                .map_or_else(|| "a field".to_owned(), |ident| format!("field {ident}"));
            self.found
                .extend(named.found.into_iter().map(|path| (name.clone(), path)));
        }
    }
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if !is_test_only(&item.attrs) {
            self.signature(&item.vis, &item.sig);
        }
    }
    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if !is_test_only(&item.attrs) {
            self.signature(&item.vis, &item.sig);
        }
    }
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if !is_test_only(&item.attrs) {
            syn::visit::visit_item_mod(self, item);
        }
    }
}

/// The files at `dir` (relative to the workspace) whose code names a path
/// starting with any of `forbidden`, with the path.
fn offenders(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let files = sources(&root().join(dir));
    assert!(!files.is_empty(), "no sources under {dir}");
    let mut broken = Vec::new();
    for file in files {
        for path in Paths::of(&file).named {
            if forbidden
                .iter()
                .any(|f| path == *f || path.starts_with(&format!("{f}::")))
            {
                broken.push(format!("{} names {path}", file.display()));
            }
        }
    }
    broken
}

#[test]
fn the_json_api_does_not_reach_the_pages() {
    let mut broken = offenders("server/src/api", &["app"]);
    broken.extend(offenders("server/src/api.rs", &["app"]));
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn only_the_services_reach_the_tables() {
    let mut broken = offenders("server/src", &["services::storage"]);
    broken.extend(offenders("app/src", &["services::storage"]));
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn no_public_service_takes_or_returns_a_row() {
    let mut broken = Vec::new();
    // The tables themselves, and the module that declares them, aside.
    let storage = root().join("services/src/storage");
    let files = sources(&root().join("services/src"))
        .into_iter()
        .filter(|file| !file.starts_with(&storage) && !file.ends_with("storage.rs"));
    for file in files {
        for (function, path) in Paths::of(&file).public_signatures {
            if path.starts_with("crate::storage") {
                broken.push(format!("{}: {function} names {path}", file.display()));
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

/// The services each module of `services/src` names (a module's folder counts as the module).
fn service_imports() -> BTreeMap<String, BTreeSet<String>> {
    let root = root().join("services/src");
    let module_of = |file: &Path| {
        let relative = file.strip_prefix(&root).unwrap();
        let first = relative.iter().next().unwrap().to_string_lossy();
        first.trim_end_matches(".rs").to_owned()
    };
    let files = sources(&root);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let module = module_of(file);
        let used = imports.entry(module.clone()).or_default();
        for path in Paths::of(file).named {
            let mut segments = path.split("::");
            if segments.next() == Some("crate")
                && let Some(next) = segments.next()
                && next != module
                && next != "storage"
                && modules.contains(next)
            {
                used.insert(next.to_owned());
            }
        }
    }
    imports.remove("lib");
    imports
}

#[test]
fn the_services_import_one_another_without_a_circle() {
    let imports = service_imports();
    // The reading sees imports at all: sales does use pieces.
    assert!(imports["sales"].contains("pieces"), "{imports:#?}");
    // Depth-first: a module met again while its own imports are walked closes a circle.
    fn walk<'a>(
        module: &'a str,
        imports: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
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
    let mut done = BTreeSet::new();
    for module in imports.keys() {
        let circle = walk(module, &imports, &mut Vec::new(), &mut done);
        assert!(circle.is_none(), "services import in a circle: {circle:?}");
    }
}

#[test]
fn the_reading_sees_paths_in_macros_attributes_fields_and_re_exports() {
    let tokens = quote::quote! { body = app::pages::Thing, other = tracing::info!(a::b::c) };
    let paths = paths_in_tokens(tokens);
    assert!(paths.contains(&"app::pages::Thing".to_owned()), "{paths:?}");
    assert!(paths.contains(&"a::b::c".to_owned()), "{paths:?}");

    let dir = tempfile_dir();
    let file = dir.join("sample.rs");
    fs::write(
        &file,
        "use crate::storage::piece;\n\
         pub use crate::storage::sale::Model as SaleRow;\n\
         pub struct View { pub row: piece::Model }\n\
         #[utoipa::path(get, path = \"/x\", responses((status = 200, body = app::X)))]\n\
         fn handler() {}\n\
         #[cfg(any(test, feature = \"x\"))]\n\
         fn also_built() { let _ = app::Y; }\n\
         #[cfg(test)]\n\
         mod tests { fn t() { let _ = app::Z; } }\n",
    )
    .unwrap();
    let paths = Paths::of(&file);
    let public: Vec<&str> = paths
        .public_signatures
        .iter()
        .map(|(_, p)| p.as_str())
        .collect();
    assert!(
        public.contains(&"crate::storage::sale::Model"),
        "{public:?}"
    );
    assert!(
        public.contains(&"crate::storage::piece::Model"),
        "{public:?}"
    );
    assert!(paths.named.contains("app::X"), "{:?}", paths.named);
    assert!(paths.named.contains("app::Y"), "{:?}", paths.named);
    assert!(!paths.named.contains("app::Z"), "{:?}", paths.named);
    fs::remove_dir_all(dir).unwrap();
}

/// A fresh folder under the build's temporary directory.
fn tempfile_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("layers-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    dir
}
