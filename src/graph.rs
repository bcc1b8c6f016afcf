//! The dependency graph of a configuration: variables, locals, providers, resources, data sources and
//! outputs, with an edge from every object to what it refers to (references and `depends_on`).
//!
//! A cycle is an error that lists every address in it. [`ConfigGraph::order`] is a topological order
//! (dependencies first); [`ConfigGraph::resource_deps`] the resources each resource depends on, looking
//! through locals.

use crate::addrs::{ProviderKey, ResourceAddr};
use crate::config::{Config, META_ARGS};
use crate::diag::{Diagnostic, Span};
use crate::lang::refs::{Ref, body_refs, expr_refs};
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    Var(String),
    Local(String),
    Provider(ProviderKey),
    Resource(ResourceAddr),
    Output(String),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Var(n) => write!(f, "var.{n}"),
            Node::Local(n) => write!(f, "local.{n}"),
            Node::Provider(p) => write!(f, "provider[\"{p}\"]"),
            Node::Resource(r) => write!(f, "{r}"),
            Node::Output(n) => write!(f, "output.{n}"),
        }
    }
}

pub struct ConfigGraph {
    graph: DiGraph<Node, ()>,
    index: HashMap<Node, NodeIndex>,
    edges: std::collections::HashSet<(NodeIndex, NodeIndex)>,
}

impl ConfigGraph {
    /// Builds the graph; a cycle is reported with every address in it.
    pub fn build(cfg: &Config) -> Result<ConfigGraph, Diagnostic> {
        let mut g = ConfigGraph {
            graph: DiGraph::new(),
            index: HashMap::new(),
            edges: Default::default(),
        };
        for n in cfg.variables.keys() {
            g.node(Node::Var(n.clone()));
        }
        for k in cfg.provider_keys() {
            g.node(Node::Provider(k));
        }
        let mut spans: BTreeMap<Node, Span> = BTreeMap::new();
        for (name, l) in &cfg.locals {
            let me = Node::Local(name.clone());
            spans.insert(me.clone(), l.span);
            g.node(me.clone());
            for (r, _) in expr_refs(&l.expr) {
                g.edge_to_ref(cfg, &me, &r);
            }
        }
        for (key, p) in &cfg.providers {
            let me = Node::Provider(key.clone());
            for (r, _) in body_refs(&p.body, &[]) {
                g.edge_to_ref(cfg, &me, &r);
            }
        }
        for (addr, r) in &cfg.resources {
            let me = Node::Resource(addr.clone());
            spans.insert(me.clone(), r.decl_span);
            g.node(me.clone());
            let mut refs = body_refs(&r.body, META_ARGS);
            for e in [&r.count, &r.for_each].into_iter().flatten() {
                refs.extend(expr_refs(e));
            }
            for (rf, _) in refs {
                g.edge_to_ref(cfg, &me, &rf);
            }
            for (d, _) in &r.depends_on {
                g.edge(&me, &Node::Resource(d.clone()));
            }
            g.edge(&me, &Node::Provider(r.provider.clone()));
        }
        for (name, o) in &cfg.outputs {
            let me = Node::Output(name.clone());
            g.node(me.clone());
            for (r, _) in expr_refs(&o.value) {
                g.edge_to_ref(cfg, &me, &r);
            }
            for (d, _) in &o.depends_on {
                g.edge(&me, &Node::Resource(d.clone()));
            }
        }
        // Cycles.
        for scc in tarjan_scc(&g.graph) {
            let self_loop = scc.len() == 1 && g.graph.contains_edge(scc[0], scc[0]);
            if scc.len() > 1 || self_loop {
                let mut names: Vec<Node> = scc.iter().map(|i| g.graph[*i].clone()).collect();
                names.sort();
                let span = names.iter().find_map(|n| spans.get(n).copied());
                let list = names.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ");
                return Err(Diagnostic::error(
                    span,
                    "Cycle in references",
                    format!(
                        "These objects refer to each other in a cycle: {list}. Break the cycle by removing one of the references."
                    ),
                ));
            }
        }
        Ok(g)
    }

    fn node(&mut self, n: Node) -> NodeIndex {
        if let Some(i) = self.index.get(&n) {
            return *i;
        }
        let i = self.graph.add_node(n.clone());
        self.index.insert(n, i);
        i
    }

    /// `from` depends on `to`: the edge goes from dependency to dependent.
    fn edge(&mut self, from: &Node, to: &Node) {
        let a = self.node(to.clone());
        let b = self.node(from.clone());
        // `update_edge` scans the node's edges: with one provider node and thousands of resources that is
        // quadratic, so duplicates are filtered here instead.
        if self.edges.insert((a, b)) {
            self.graph.add_edge(a, b, ());
        }
    }

    fn edge_to_ref(&mut self, cfg: &Config, from: &Node, r: &Ref) {
        // References to undeclared objects are reported by evaluation, with their location.
        let to = match r {
            Ref::Var(n) if cfg.variables.contains_key(n) => Node::Var(n.clone()),
            Ref::Local(n) if cfg.locals.contains_key(n) => Node::Local(n.clone()),
            Ref::Resource(a) if cfg.resources.contains_key(a) => Node::Resource(a.clone()),
            _ => return,
        };
        self.edge(from, &to);
    }

    /// Every node, dependencies first.
    pub fn order(&self) -> Vec<Node> {
        toposort(&self.graph, None)
            .expect("cycles are rejected in build")
            .into_iter()
            .map(|i| self.graph[i].clone())
            .collect()
    }

    /// The direct dependencies of a node.
    pub fn deps(&self, n: &Node) -> Vec<Node> {
        match self.index.get(n) {
            Some(i) => self
                .graph
                .neighbors_directed(*i, petgraph::Direction::Incoming)
                .map(|j| self.graph[j].clone())
                .collect(),
            None => Vec::new(),
        }
    }

    /// The resources a node depends on, looking through locals, variables and providers.
    pub fn resource_deps(&self, n: &Node) -> Vec<ResourceAddr> {
        let mut out = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack = self.deps(n);
        while let Some(d) = stack.pop() {
            if !seen.insert(d.clone()) {
                continue;
            }
            match d {
                // An ephemeral resource is not kept, so nothing depends on it once applied: what uses it
                // depends on what it depends on (apply opens it in between).
                Node::Resource(ref r) if r.mode == crate::addrs::Mode::Ephemeral => stack.extend(self.deps(&d)),
                Node::Resource(r) => {
                    out.insert(r);
                }
                Node::Local(_) | Node::Var(_) | Node::Provider(_) => stack.extend(self.deps(&d)),
                Node::Output(_) => {}
            }
        }
        out.into_iter().collect()
    }

    /// Every node `n` depends on, transitively.
    pub fn ancestors(&self, n: &Node) -> BTreeSet<Node> {
        let mut seen = BTreeSet::new();
        let mut stack = self.deps(n);
        while let Some(d) = stack.pop() {
            if seen.insert(d.clone()) {
                stack.extend(self.deps(&d));
            }
        }
        seen
    }

    /// The graph in Graphviz DOT (`infra graph`).
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph {\n  compound = \"true\"\n  newrank = \"true\"\n  rankdir = \"RL\"\n");
        let mut nodes: Vec<&Node> = self.index.keys().collect();
        nodes.sort();
        for n in &nodes {
            out.push_str(&format!(
                "  \"{}\" [label = \"{}\", shape = \"{}\"]\n",
                esc(n),
                esc(n),
                if matches!(n, Node::Resource(_)) { "box" } else { "note" }
            ));
        }
        let mut edges: Vec<(String, String)> = self
            .graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e))
            .map(|(a, b)| (esc(&self.graph[b]), esc(&self.graph[a])))
            .collect();
        edges.sort();
        for (from, to) in edges {
            out.push_str(&format!("  \"{from}\" -> \"{to}\"\n"));
        }
        out.push_str("}\n");
        out
    }
}

fn esc(n: &Node) -> String {
    n.to_string().replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn cfg(text: &str) -> Config {
        let mut c = Config {
            dir: PathBuf::from("."),
            ..Default::default()
        };
        let d = c.load_sources(vec![("main.tf".into(), text.into())]);
        assert!(!d.has_errors(), "{d:?}");
        c
    }

    #[test]
    fn orders_dependencies_first_through_locals() {
        let c = cfg(r#"
variable "cidr" {}
locals { vpc = aws_vpc.a.id }
resource "aws_vpc" "a" { cidr_block = var.cidr }
resource "aws_subnet" "b" { vpc_id = local.vpc }
output "o" { value = aws_subnet.b.id }
"#);
        let g = ConfigGraph::build(&c).unwrap();
        let order = g.order();
        let pos = |n: &Node| order.iter().position(|x| x == n).unwrap();
        let vpc = Node::Resource(ResourceAddr::managed("aws_vpc", "a"));
        let subnet = Node::Resource(ResourceAddr::managed("aws_subnet", "b"));
        assert!(pos(&Node::Var("cidr".into())) < pos(&vpc));
        assert!(pos(&vpc) < pos(&Node::Local("vpc".into())));
        assert!(pos(&Node::Local("vpc".into())) < pos(&subnet));
        assert!(pos(&subnet) < pos(&Node::Output("o".into())));
        assert_eq!(g.resource_deps(&subnet), vec![ResourceAddr::managed("aws_vpc", "a")]);
    }

    #[test]
    fn cycles_name_every_address() {
        let c = cfg(r#"
resource "aws_vpc" "a" { cidr_block = aws_subnet.b.id }
resource "aws_subnet" "b" { vpc_id = local.x }
locals { x = aws_vpc.a.id }
"#);
        let e = ConfigGraph::build(&c).err().expect("a cycle");
        assert_eq!(e.summary, "Cycle in references");
        for n in ["aws_vpc.a", "aws_subnet.b", "local.x"] {
            assert!(e.detail.contains(n), "{}", e.detail);
        }
    }
}
