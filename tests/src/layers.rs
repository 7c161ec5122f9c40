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

/// Whether SQL text writes: inserts, updates, deletes or analyses (a
/// `SELECT … FOR UPDATE` reads).
fn sql_writes(sql: &str) -> bool {
    static WRITES: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)\b(INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\S+(\s+\w+)?\s+SET|ANALYZE)\b")
            .unwrap()
    });
    WRITES.is_match(sql)
}

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
                let mut argument = call.args.first()?;
                if let syn::Expr::Reference(r) = argument {
                    argument = &r.expr;
                }
                return Some(match argument {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }) => text.value(),
                    syn::Expr::Macro(m) => m.mac.tokens.to_string(),
                    _ => String::new(),
                });
            }
            _ => return None,
        }
    }
}

/// Whether an executor argument is the pool itself: `….pool()`, or
/// `self.pool` inside `Db`.
fn is_pool(mut expr: &syn::Expr) -> bool {
    if let syn::Expr::Reference(r) = expr {
        expr = &r.expr;
    }
    match expr {
        syn::Expr::MethodCall(call) => call.method == "pool",
        syn::Expr::Field(field) => matches!(&field.member, syn::Member::Named(name) if name == "pool"),
        _ => false,
    }
}

/// Whether an expression is, or holds, a connection taken from the pool:
/// `….pool().acquire()`, or a variable one was bound to.
struct Pooled<'a> {
    names: &'a BTreeSet<String>,
    found: bool,
}

impl<'ast> Visit<'ast> for Pooled<'_> {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        self.found |= call.method == "acquire" && is_pool(&call.receiver);
        syn::visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
        self.found |= path
            .path
            .get_ident()
            .is_some_and(|name| self.names.contains(&name.to_string()));
    }
}

fn pooled(expr: &syn::Expr, names: &BTreeSet<String>) -> bool {
    let mut pooled = Pooled { names, found: false };
    pooled.visit_expr(expr);
    pooled.found
}

/// What one function's body shows about its writing.
#[derive(Default)]
struct Body {
    /// Its string literals and macros' text (SQL among them).
    texts: Vec<String>,
    /// Statements it runs on the pool itself or a connection taken from it:
    /// `(method, SQL if known)`.
    on_pool: Vec<(String, Option<String>)>,
    /// The variables bound to a connection from the pool.
    acquired: BTreeSet<String>,
    /// The functions it calls by path (`approvals::votes`) with a
    /// connection from the pool.
    calls: Vec<Vec<String>>,
}

impl<'ast> Visit<'ast> for Body {
    fn visit_lit_str(&mut self, text: &'ast syn::LitStr) {
        self.texts.push(text.value());
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.texts.push(mac.tokens.to_string());
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let (syn::Pat::Ident(name), Some(init)) = (&local.pat, &local.init)
            && pooled(&init.expr, &BTreeSet::new())
        {
            self.acquired.insert(name.ident.to_string());
        }
        syn::visit::visit_local(self, local);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let method = call.method.to_string();
        if (method == "execute" || method.starts_with("fetch"))
            && call
                .args
                .first()
                .is_some_and(|arg| is_pool(arg) || pooled(arg, &self.acquired))
        {
            self.on_pool.push((method.clone(), root_sql(&call.receiver)));
        }
        syn::visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let syn::Expr::Path(path) = &*call.func
            && call.args.iter().any(|arg| pooled(arg, &self.acquired))
        {
            self.calls
                .push(path.path.segments.iter().map(|s| s.ident.to_string()).collect());
        }
        syn::visit::visit_expr_call(self, call);
    }
}

/// Every function of a parsed file, by name, with what its body shows, and
/// the names its `use`s give modules (`endpoint as endpoint_db`).
#[derive(Default)]
struct Functions {
    bodies: Vec<(String, Body)>,
    renamed: BTreeMap<String, String>,
}

impl Functions {
    fn body(&mut self, name: &syn::Ident, block: &syn::Block) {
        let mut body = Body::default();
        body.visit_block(block);
        self.bodies.push((name.to_string(), body));
    }

    fn renames(&mut self, parent: Option<&syn::Ident>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => self.renames(Some(&p.ident), &p.tree),
            syn::UseTree::Rename(r) => {
                let original = if r.ident == "self" { parent } else { Some(&r.ident) };
                if let Some(original) = original {
                    self.renamed.insert(r.rename.to_string(), original.to_string());
                }
            }
            syn::UseTree::Group(g) => g.items.iter().for_each(|tree| self.renames(parent, tree)),
            syn::UseTree::Name(_) | syn::UseTree::Glob(_) => {}
        }
    }
}

impl<'ast> Visit<'ast> for Functions {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.renames(None, &item.tree);
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.body(&item.sig.ident, &item.block);
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.body(&item.sig.ident, &item.block);
    }
}

/// The writes that do not take their turn in `Db::begin`'s queue, in the
/// modules given (path, source). On SQLite such a write polls for the lock
/// in SQLite's busy handler instead, and loses to the writers queued there
/// (a sign-in waited seconds behind an import's steps). Found: a statement
/// run on the pool that writes (`.execute(….pool())`, or a fetch of SQL
/// that inserts, updates or deletes), and a call, from a function that
/// takes a connection from the pool, to a query function whose SQL writes.
fn writes_outside_their_turn(files: &[(Module, String)]) -> Vec<String> {
    // `Db`'s own: its one-statement writer, and PostgreSQL's statistics.
    const OWN: &[&str] = &["execute", "analyze"];
    let parsed: Vec<(&Module, Functions)> = files
        .iter()
        .map(|(module, source)| {
            let mut functions = Functions::default();
            functions.visit_file(&syn::parse_file(source).unwrap());
            (module, functions)
        })
        .collect();
    // The query functions that write, as `(module's last name, function)`.
    let writers: BTreeSet<(String, String)> = parsed
        .iter()
        .filter(|(module, _)| module.first().is_some_and(|m| m == "db"))
        .flat_map(|(module, functions)| {
            let last = module.last().cloned().unwrap_or_default();
            functions
                .bodies
                .iter()
                .filter(|(_, body)| body.texts.iter().any(|t| sql_writes(t)))
                .map(move |(name, _)| (last.clone(), name.clone()))
        })
        .collect();
    let mut found = Vec::new();
    for (module, functions) in &parsed {
        let at = module.join("/");
        for (name, body) in &functions.bodies {
            for (method, sql) in &body.on_pool {
                let own = module.as_slice() == ["db"] && OWN.contains(&name.as_str());
                // Unknown SQL run by `execute` counts as a write.
                let writes = sql.as_deref().map_or(method == "execute", sql_writes);
                if !own && writes {
                    found.push(format!("{at}::{name}: .{method}(the pool)"));
                }
            }
            for call in &body.calls {
                let [.., parent, function] = call.as_slice() else {
                    continue;
                };
                let parent = functions.renamed.get(parent).unwrap_or(parent);
                if writers.contains(&(parent.clone(), function.clone())) {
                    found.push(format!(
                        "{at}::{name}: {parent}::{function} on a connection from the pool"
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn every_write_takes_its_turn() {
    let files: Vec<(Module, String)> = modules(&source("server"))
        .into_iter()
        .map(|(module, file)| (module, std::fs::read_to_string(file).unwrap()))
        .collect();
    assert_eq!(
        writes_outside_their_turn(&files),
        Vec::<String>::new(),
        "a write goes through `Db::execute` or a transaction from `Db::begin`"
    );
}

#[test]
fn a_write_outside_its_turn_is_found() {
    let module = |path: &str| path.split('/').map(str::to_owned).collect::<Module>();
    let queries = r#"
        async fn f(db: &Db) {
            sqlx::query("DELETE FROM t").execute(db.pool()).await;
            sqlx::query_scalar("INSERT INTO t (a) VALUES (1) RETURNING id").fetch_one(&db.pool()).await;
            sqlx::query(&format!("UPDATE {}\n SET a = 1", table)).fetch_optional(db.pool()).await;
            sqlx::query("SELECT a FROM t FOR UPDATE").fetch_all(db.pool()).await;
            sqlx::query("SELECT 1").execute(&self.pool).await;
            db.execute(sqlx::query("DELETE FROM t")).await;
        }
        pub async fn count(conn: &mut AnyConnection) {
            sqlx::query("UPDATE t SET n = n + 1").execute(conn).await;
        }
        pub async fn read(conn: &mut AnyConnection) {
            sqlx::query("SELECT n FROM t").fetch_one(conn).await;
        }"#;
    let service = r#"
        use crate::db::things::{self as queries};
        async fn g(db: &Db) {
            let mut conn = db.pool().acquire().await?;
            things::read(&mut conn).await;
            things::count(&mut conn).await;
        }
        async fn h(db: &Db) {
            let held = { let mut conn = db.pool().acquire().await?; things::read(&mut conn).await };
            let mut tx = db.begin().await?;
            things::count(&mut tx).await;
            things::count(&mut *db.pool().acquire().await?).await;
            let mut conn = db.pool().acquire().await?;
            queries::count(&mut conn).await;
            sqlx::query("DELETE FROM t").execute(&mut *conn).await;
        }"#;
    let found = writes_outside_their_turn(&[
        (module("db/things"), queries.into()),
        (module("service"), service.into()),
    ]);
    assert_eq!(
        found,
        vec![
            "db/things::f: .execute(the pool)",
            "db/things::f: .fetch_one(the pool)",
            "db/things::f: .fetch_optional(the pool)",
            "service::g: things::count on a connection from the pool",
            "service::h: .execute(the pool)",
            "service::h: things::count on a connection from the pool",
            "service::h: things::count on a connection from the pool",
        ],
    );
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
