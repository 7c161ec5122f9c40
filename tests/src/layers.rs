//! The code's layers, checked on its source: no module of the server or the
//! app names another that names it back, directly or round a circle,
//! nothing outside the server's `http/` calls into it, only `db/` runs
//! SQL, and every write takes its turn (`Db::begin`). A module here is a
//! source file; a module and the modules inside it may name each other
//! (Rust's `super::`), so those pairs do not count.
//!
//! Each file is parsed with `syn`; the paths it names are its `use` trees
//! and the `crate::…` and `super::…` paths in its code (not in comments or
//! macros' bodies, such as the app's `view!`, which name components by
//! their imports).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module: its path from the crate's root (`["db", "approvals"]`).
pub(crate) type Module = Vec<String>;

/// The modules of the crate whose sources are under `root`, by file.
pub(crate) fn modules(root: &Path) -> BTreeMap<Module, PathBuf> {
    let mut found = BTreeMap::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(root).unwrap().with_extension("");
            let mut module: Module = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                module.pop();
            }
            found.insert(module, path);
        }
    }
    found
}

/// The paths a file names, as written (`crate::db::approvals::Stored`).
#[derive(Default)]
struct Named(Vec<Vec<String>>);

impl Named {
    fn tree(&mut self, prefix: &[String], tree: &syn::UseTree) {
        let mut path = prefix.to_vec();
        match tree {
            syn::UseTree::Path(p) => {
                path.push(p.ident.to_string());
                self.tree(&path, &p.tree);
            }
            syn::UseTree::Name(n) => {
                path.push(n.ident.to_string());
                self.0.push(path);
            }
            syn::UseTree::Rename(r) => {
                path.push(r.ident.to_string());
                self.0.push(path);
            }
            syn::UseTree::Glob(_) => self.0.push(path),
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.tree(&path, tree);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Named {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.tree(&[], &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if matches!(segments.first().map(String::as_str), Some("crate" | "super")) {
            self.0.push(segments);
        }
        syn::visit::visit_path(self, path);
    }
}

/// Which modules each module names (but its own ancestors and descendants).
fn edges(root: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let modules = modules(root);
    let resolve = |path: &[String]| {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|candidate| modules.contains_key(candidate))
    };
    let mut edges = BTreeMap::new();
    for (module, file) in &modules {
        let source = std::fs::read_to_string(file).unwrap();
        let parsed = syn::parse_file(&source).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut named = Named::default();
        named.visit_file(&parsed);
        let mut targets = BTreeSet::new();
        for path in named.0 {
            let mut segments = path.as_slice();
            let mut base: Module = match segments.first().map(String::as_str) {
                Some("crate") => {
                    segments = &segments[1..];
                    Vec::new()
                }
                Some("super") => {
                    // `super` of a file `a/b.rs` is `a`; of `a/b/mod.rs`, also `a`.
                    let mut base = module.clone();
                    while segments.first().is_some_and(|s| s == "super") {
                        base.pop();
                        segments = &segments[1..];
                    }
                    base
                }
                _ => continue,
            };
            base.extend(segments.iter().filter(|s| *s != "self").cloned());
            if let Some(target) = resolve(&base)
                && !target.starts_with(module)
                && !module.starts_with(&target)
            {
                targets.insert(target);
            }
        }
        edges.insert(module.clone(), targets);
    }
    edges
}

/// The circles of modules that name each other (strongly connected
/// components of more than one module), by Tarjan's algorithm.
fn circles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a Module) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.edges.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut circle = Vec::new();
                while let Some(w) = self.stack.pop() {
                    circle.push(w.join("/"));
                    if w == v {
                        break;
                    }
                }
                if circle.len() > 1 {
                    circle.sort();
                    self.found.push(circle);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.found
}

pub(crate) fn source(crate_folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(crate_folder)
        .join("src")
}

#[test]
fn no_server_module_names_one_that_names_it_back() {
    let edges = edges(&source("server"));
    assert!(edges.len() > 100, "the server's modules were not found");
    assert_eq!(circles(&edges), Vec::<Vec<String>>::new());
}

#[test]
fn no_app_module_names_one_that_names_it_back() {
    let edges = edges(&source("app"));
    assert!(edges.len() > 50, "the app's modules were not found");
    assert_eq!(circles(&edges), Vec::<Vec<String>>::new());
}

#[test]
fn only_http_and_the_router_call_into_http() {
    let edges = edges(&source("server"));
    let upward: Vec<String> = edges
        .iter()
        .filter(|(from, _)| from.first().is_some_and(|f| f != "http") && !from.is_empty())
        .flat_map(|(from, to)| {
            to.iter()
                .filter(|t| t.first().is_some_and(|t| t == "http"))
                .map(move |t| format!("{} -> {}", from.join("/"), t.join("/")))
        })
        .collect();
    assert_eq!(upward, Vec::<String>::new());
}

/// The paths a file names that run SQL (`sqlx::query`, `sqlx::query_as`, ...).
#[derive(Default)]
struct RunsSql(usize);

impl<'ast> Visit<'ast> for RunsSql {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments = path.segments.iter().map(|s| s.ident.to_string());
        if segments.next().as_deref() == Some("sqlx")
            && segments.next().is_some_and(|s| s.starts_with("query"))
        {
            self.0 += 1;
        }
        syn::visit::visit_path(self, path);
    }
}

#[test]
fn only_the_query_modules_run_sql() {
    // The demo organisation's generator writes its data directly: it is a
    // fixture, not a capability.
    const EXCEPT: &[&str] = &["demo"];
    let mut outside = Vec::new();
    for (module, file) in modules(&source("server")) {
        if module
            .first()
            .is_some_and(|m| m == "db" || EXCEPT.contains(&m.as_str()))
        {
            continue;
        }
        let parsed = syn::parse_file(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let mut runs = RunsSql::default();
        runs.visit_file(&parsed);
        if runs.0 > 0 {
            outside.push(format!("{} ({})", module.join("/"), runs.0));
        }
    }
    assert_eq!(outside, Vec::<String>::new(), "SQL belongs in server/src/db/");
}

/// The statements that write straight to the pool: `.execute(….pool())`,
/// or a fetch from the pool of SQL that inserts, updates or deletes. On
/// SQLite such a write polls for the lock in SQLite's busy handler instead
/// of taking its turn in `Db::begin`'s queue, and loses to the writers
/// queued there (a sign-in waited seconds behind an import's steps).
#[derive(Default)]
struct WritesToPool(Vec<String>);

/// The SQL text a `sqlx::query…(…)` call at the root of a chain runs, as
/// far as the source shows it (a literal, or `format!`'s template).
fn root_sql(mut expr: &syn::Expr) -> Option<String> {
    loop {
        match expr {
            syn::Expr::MethodCall(call) => expr = &call.receiver,
            syn::Expr::Call(call) => {
                let syn::Expr::Path(path) = &*call.func else {
                    return None;
                };
                if path.path.segments.first()?.ident != "sqlx" {
                    return None;
                }
                return match call.args.first()? {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }) => Some(text.value()),
                    syn::Expr::Reference(r) => match &*r.expr {
                        syn::Expr::Macro(m) => Some(m.mac.tokens.to_string()),
                        _ => Some(String::new()),
                    },
                    syn::Expr::Macro(m) => Some(m.mac.tokens.to_string()),
                    _ => Some(String::new()),
                };
            }
            _ => return None,
        }
    }
}

impl<'ast> Visit<'ast> for WritesToPool {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let method = call.method.to_string();
        let on_pool = call
            .args
            .first()
            .is_some_and(|arg| matches!(arg, syn::Expr::MethodCall(inner) if inner.method == "pool"));
        if on_pool && (method == "execute" || method.starts_with("fetch")) {
            let sql = root_sql(&call.receiver).unwrap_or_default();
            let writes = ["INSERT ", "UPDATE ", "DELETE ", "ANALYZE"]
                .iter()
                .any(|verb| sql.to_uppercase().contains(verb));
            if method == "execute" || writes {
                let sql: String = sql.chars().take(50).collect();
                self.0.push(format!(".{method}(….pool()) of \"{sql}\""));
            }
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}

#[test]
fn every_write_takes_its_turn() {
    let mut found = Vec::new();
    for (module, file) in modules(&source("server")) {
        let parsed = syn::parse_file(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let mut writes = WritesToPool::default();
        writes.visit_file(&parsed);
        found.extend(writes.0.into_iter().map(|w| format!("{}: {w}", module.join("/"))));
    }
    assert_eq!(
        found,
        Vec::<String>::new(),
        "a write goes through `Db::execute` or a transaction from `Db::begin`"
    );
}

#[test]
fn a_write_to_the_pool_is_found() {
    let parsed = syn::parse_file(
        r#"async fn f(db: &Db) {
            sqlx::query("DELETE FROM t").execute(db.pool()).await;
            sqlx::query_scalar("INSERT INTO t (a) VALUES (1) RETURNING id").fetch_one(db.pool()).await;
            sqlx::query(&format!("UPDATE {} SET a = 1", table)).fetch_optional(db.pool()).await;
            sqlx::query("SELECT a FROM t").fetch_all(db.pool()).await;
            db.execute(sqlx::query("DELETE FROM t")).await;
        }"#,
    )
    .unwrap();
    let mut writes = WritesToPool::default();
    writes.visit_file(&parsed);
    assert_eq!(writes.0.len(), 3, "{:?}", writes.0);
}

#[test]
fn a_circle_is_found_when_there_is_one() {
    let module = |path: &str| path.split('/').map(str::to_owned).collect::<Module>();
    let edges = BTreeMap::from([
        (module("a"), BTreeSet::from([module("b")])),
        (module("b"), BTreeSet::from([module("c")])),
        (module("c"), BTreeSet::from([module("a")])),
        (module("d"), BTreeSet::from([module("a")])),
    ]);
    assert_eq!(circles(&edges), vec![vec!["a", "b", "c"]]);
}
