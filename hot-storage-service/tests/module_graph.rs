//! No module of the library imports another in a circle (docs/services.md).
//!
//! Reads every `src/**/*.rs` of the library (not `src/bin`), collects the
//! modules each one names (`use crate::…`, `use super::…`, inline
//! `crate::a::b` paths, and child modules named by a parent), resolves each
//! path to the deepest module file it reaches, and fails on a cycle — both
//! between module files and between the top-level modules (`hot` with all
//! of `hot/*`). The checker's own tests below show it finds a planted
//! cycle.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module path from the crate root (`[]` is `lib.rs`).
type Module = Vec<String>;
type Graph = BTreeMap<Module, BTreeSet<Module>>;

/// The module a source file defines, from its path under `src/`.
fn module_of(rel: &str) -> Module {
    let rel = rel.trim_end_matches(".rs");
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts
}

/// Strips `//` comments (doc comments included) line by line.
fn code_only(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let close = tree.rfind('}').unwrap_or(tree.len());
    if close <= open {
        return vec![tree];
    }
    let prefix = &tree[..open];
    let inner = &tree[open + 1..close];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |e| format!("{prefix}{e}")))
        .collect()
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every `a::b::c` path in `code` (maximal runs of identifiers joined by
/// `::`), with `use` trees expanded.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    // `use` statements, braces expanded.
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().last();
        rest = &rest[i + 4..];
        if before.is_some_and(is_ident) {
            continue;
        }
        let end = rest.find(';').unwrap_or(rest.len());
        for p in expand(&rest[..end]) {
            let p = p.split(" as ").next().unwrap_or("").to_string();
            out.push(p.split("::").map(str::to_string).collect());
        }
        rest = &rest[end..];
    }
    // Inline paths.
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if is_ident(chars[i]) && (i == 0 || !(is_ident(chars[i - 1]) || chars[i - 1] == ':')) {
            let mut j = i;
            let mut segs = vec![String::new()];
            loop {
                while j < chars.len() && is_ident(chars[j]) {
                    segs.last_mut().unwrap().push(chars[j]);
                    j += 1;
                }
                if j + 2 < chars.len() + 1
                    && chars.get(j) == Some(&':')
                    && chars.get(j + 1) == Some(&':')
                    && chars.get(j + 2).is_some_and(|c| is_ident(*c))
                {
                    j += 2;
                    segs.push(String::new());
                } else {
                    break;
                }
            }
            if segs.len() > 1 {
                out.push(segs);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Resolves `path`, written in module `from`, to the deepest known module
/// it names, if it names one of this crate's modules.
fn resolve(path: &[String], from: &Module, modules: &BTreeSet<Module>) -> Option<Module> {
    let mut base: Module;
    let mut segs = path;
    match segs.first().map(String::as_str) {
        Some("crate") => {
            base = vec![];
            segs = &segs[1..];
        }
        Some("self") => {
            base = from.clone();
            segs = &segs[1..];
        }
        Some("super") => {
            base = from.clone();
            while segs.first().is_some_and(|s| s == "super") {
                base.pop();
                segs = &segs[1..];
            }
        }
        Some(first) => {
            // A child module of `from`, named without `self::`.
            let mut child = from.clone();
            child.push(first.to_string());
            if !modules.contains(&child) {
                return None;
            }
            base = from.clone();
        }
        None => return None,
    }
    let mut best = base.clone();
    for s in segs {
        base.push(s.clone());
        if modules.contains(&base) {
            best = base.clone();
        } else {
            break;
        }
    }
    Some(best)
}

/// The module graph of a crate given as (path under `src/`, text) pairs.
fn graph(files: &[(String, String)]) -> Graph {
    let modules: BTreeSet<Module> = files.iter().map(|(p, _)| module_of(p)).collect();
    let mut g = Graph::new();
    for (p, text) in files {
        let from = module_of(p);
        let edges = g.entry(from.clone()).or_default();
        for path in paths(&code_only(text)) {
            if let Some(to) = resolve(&path, &from, &modules)
                && to != from
                && !to.is_empty()
            {
                edges.insert(to);
            }
        }
    }
    g
}

/// The graph with every module replaced by its top-level module.
fn top_level(g: &Graph) -> Graph {
    let mut out = Graph::new();
    for (from, tos) in g {
        let Some(f) = from.first() else { continue };
        let edges = out.entry(vec![f.clone()]).or_default();
        for to in tos {
            if let Some(t) = to.first()
                && t != f
            {
                edges.insert(vec![t.clone()]);
            }
        }
    }
    out
}

/// A cycle of `g`, if it has one (as the list of modules around it).
fn find_cycle(g: &Graph) -> Option<Vec<Module>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        n: &Module,
        g: &Graph,
        marks: &mut BTreeMap<Module, Mark>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        match marks.get(n) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let at = stack.iter().position(|m| m == n).unwrap_or(0);
                let mut cycle = stack[at..].to_vec();
                cycle.push(n.clone());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(n.clone(), Mark::Open);
        stack.push(n.clone());
        for next in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, g, marks, stack) {
                return Some(c);
            }
        }
        stack.pop();
        marks.insert(n.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for n in g.keys() {
        if let Some(c) = visit(n, g, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

fn show(cycle: &[Module]) -> String {
    cycle
        .iter()
        .map(|m| m.join("::"))
        .collect::<Vec<_>>()
        .join(" → ")
}

fn read_src(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if path.is_dir() {
            if rel != "bin" {
                read_src(&path, root, out);
            }
        } else if rel.ends_with(".rs") {
            out.push((rel, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

fn crate_files() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_src(&root, &root, &mut files);
    files
}

#[test]
fn library_modules_import_each_other_without_cycles() {
    let files = crate_files();
    assert!(files.len() > 10, "found only {} source files", files.len());
    let g = graph(&files);
    // The graph is not trivially empty: known edges are found.
    let edge = |a: &str, b: &str| {
        let m = |s: &str| s.split("::").map(str::to_string).collect::<Module>();
        g.get(&m(a)).is_some_and(|t| t.contains(&m(b)))
    };
    assert!(edge("hot::handlers", "hot::store"), "{g:?}");
    assert!(edge("hot", "state"), "{g:?}");
    assert!(edge("run", "hot"), "{g:?}");
    if let Some(c) = find_cycle(&g) {
        panic!("module cycle: {}", show(&c));
    }
    if let Some(c) = find_cycle(&top_level(&g)) {
        panic!("top-level module cycle: {}", show(&c));
    }
}

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

#[test]
fn checker_finds_a_planted_cycle() {
    let g: Graph = [
        (vec!["a".into()], [vec!["b".to_string()]].into()),
        (vec!["b".into()], [vec!["c".to_string()]].into()),
        (vec!["c".into()], [vec!["a".to_string()]].into()),
    ]
    .into();
    let c = find_cycle(&g).expect("cycle a → b → c → a");
    assert_eq!(show(&c), "a → b → c → a");
    let acyclic: Graph = [
        (vec!["a".into()], [vec!["b".to_string()]].into()),
        (vec!["b".into()], BTreeSet::new()),
    ]
    .into();
    assert!(find_cycle(&acyclic).is_none());
}

#[test]
fn checker_reads_use_trees_super_and_inline_paths() {
    // server ↔ hot through a grouped `use` and an inline path: the shape
    // this crate had before `state.rs`.
    let src = files(&[
        ("lib.rs", "pub mod server; pub mod hot;"),
        (
            "server.rs",
            "use crate::{error::E, hot::store::{MIGRATIONS, X}};\nfn f() { crate::hot::app(); }",
        ),
        ("error.rs", ""),
        (
            "hot/mod.rs",
            "pub mod store;\n// use crate::nothing;\nuse crate::server::AppState;",
        ),
        ("hot/store.rs", "use super::super::error::E;"),
    ]);
    let g = graph(&src);
    let m = |s: &str| s.split("::").map(str::to_string).collect::<Module>();
    assert!(g[&m("server")].contains(&m("hot::store")), "{g:?}");
    assert!(g[&m("server")].contains(&m("hot")), "{g:?}");
    assert!(g[&m("hot")].contains(&m("server")), "{g:?}");
    assert!(g[&m("hot::store")].contains(&m("error")), "{g:?}");
    assert!(find_cycle(&g).is_some());
    // Without the inline call the files are acyclic, but the top-level
    // modules still are not (server → hot::store, hot → server).
    let src = files(&[
        ("lib.rs", "pub mod server; pub mod hot;"),
        ("server.rs", "use crate::hot::store::MIGRATIONS;"),
        ("hot/mod.rs", "pub mod store; use crate::server::AppState;"),
        ("hot/store.rs", ""),
    ]);
    let g = graph(&src);
    assert!(find_cycle(&g).is_none(), "{g:?}");
    assert!(find_cycle(&top_level(&g)).is_some());
}
