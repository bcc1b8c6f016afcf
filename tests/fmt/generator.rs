//! A seeded generator of valid, messily laid-out HCL for the property tests: random bodies of
//! attributes, blocks (bare or quoted labels), comments of the three kinds and blank lines, with
//! values drawn from every expression form (templates, heredocs, calls, lists, objects, `for`,
//! conditionals, operators, traversals and splats), laid out on one line or across several, with
//! random indentation and random spaces or tabs between tokens.

/// xorshift64*: small, deterministic, good enough to vary layouts.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len() as u64) as usize]
    }
}

pub struct Gen {
    /// Decides the structure: which items, names, values, and where lines break.
    rng: Rng,
    /// Decides only horizontal whitespace: indentation and the spaces or tabs between tokens.
    ws: Rng,
    /// Whether block labels may be written bare (`resource aws_vpc main {`).
    pub bare_labels: bool,
    out: String,
}

const NAMES: &[&str] = &[
    "a",
    "ami",
    "name",
    "instance_type",
    "cidr_block",
    "tags",
    "x",
    "enable_dns",
    "port",
    "description",
    "vpc_id",
    "size",
    "region",
    "ünïcode",
    "engine_version",
];
const BLOCKS: &[&str] = &[
    "resource",
    "data",
    "module",
    "locals",
    "variable",
    "output",
    "provider",
    "ingress",
    "lifecycle",
];
const FUNCS: &[&str] = &[
    "merge",
    "lookup",
    "format",
    "length",
    "concat",
    "jsonencode",
    "cidrsubnet",
    "max",
];
const STRINGS: &[&str] = &[
    "hello",
    "t3.micro",
    "10.0.0.0/16",
    "with  two  spaces",
    "ünïcode ✓",
    "",
    "a \\\"quoted\\\" word",
    "$${literal}",
];

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen::with_layout(seed, seed)
    }

    /// The file of `seed`, with its horizontal whitespace drawn from `layout`: files of one seed
    /// differ only in spaces and tabs within lines.
    pub fn with_layout(seed: u64, layout: u64) -> Gen {
        let mut rng = Rng::new(seed);
        let bare_labels = rng.chance(30);
        Gen {
            rng,
            ws: Rng::new(layout ^ 0x5eed),
            bare_labels,
            out: String::new(),
        }
    }

    /// A whole file.
    pub fn file(mut self) -> String {
        let n = 1 + self.rng.below(6);
        self.body(0, n);
        self.out
    }

    /// Optional space: nothing, spaces or a tab.
    fn opt(&mut self) {
        match self.ws.below(4) {
            0 => {}
            1 => self.out.push(' '),
            2 => self.out.push_str("   "),
            _ => self.out.push('\t'),
        }
    }

    /// Required space: at least one space or tab.
    fn req(&mut self) {
        match self.ws.below(3) {
            0 => self.out.push(' '),
            1 => self.out.push_str("  "),
            _ => self.out.push('\t'),
        }
    }

    fn newline(&mut self) {
        if self.ws.chance(10) {
            self.out.push_str("  ");
        }
        self.out.push('\n');
    }

    fn indent(&mut self) {
        let n = self.ws.below(7) as usize;
        for _ in 0..n {
            self.out.push(if self.ws.chance(15) { '\t' } else { ' ' });
        }
    }

    fn body(&mut self, depth: u32, items: u64) {
        let mut used = Vec::new();
        for _ in 0..items {
            self.indent();
            match self.rng.below(10) {
                0..=4 => self.attribute(depth, &mut used),
                5..=6 if depth < 3 => self.block(depth),
                7 => {
                    let c = self
                        .rng
                        .pick(&["# a note", "// another note", "/* inline */", "# ünïcode ✓ note"]);
                    self.out.push_str(c);
                    self.newline();
                }
                8 => self.newline(),
                _ => self.attribute(depth, &mut used),
            }
        }
    }

    fn attribute(&mut self, depth: u32, used: &mut Vec<&'static str>) {
        // Attribute names are unique within a body (HCL rejects a redefinition).
        let mut name = self.rng.pick(NAMES);
        while used.contains(&name) {
            name = self.rng.pick(NAMES);
            if used.len() >= NAMES.len() {
                self.out.push_str("# no names left\n");
                return;
            }
        }
        used.push(name);
        self.out.push_str(name);
        self.opt();
        self.out.push('=');
        self.opt();
        if self.rng.chance(8) {
            self.heredoc();
            return;
        }
        self.expr(depth, 0);
        if self.rng.chance(20) {
            self.opt();
            let c = self.rng.pick(&["# trailing", "// trailing too"]);
            self.out.push_str(c);
        }
        self.newline();
    }

    fn block(&mut self, depth: u32) {
        let ty = self.rng.pick(BLOCKS);
        self.out.push_str(ty);
        let labels = self.rng.below(3);
        for i in 0..labels {
            self.req();
            let label = if i == 0 {
                self.rng.pick(&["aws_vpc", "digitalocean_droplet", "web", "x"])
            } else {
                "main"
            };
            if self.bare_labels && self.rng.chance(50) {
                self.out.push_str(label);
            } else {
                self.out.push('"');
                self.out.push_str(label);
                self.out.push('"');
            }
        }
        self.opt();
        self.out.push('{');
        if self.rng.chance(15) {
            // Empty block, on one line or two.
            if self.rng.chance(50) {
                self.opt();
            } else {
                self.newline();
                self.indent();
            }
            self.out.push('}');
            self.newline();
            return;
        }
        self.newline();
        let n = 1 + self.rng.below(4);
        self.body(depth + 1, n);
        self.indent();
        self.out.push('}');
        self.newline();
    }

    fn heredoc(&mut self) {
        let dash = self.rng.chance(50);
        self.out.push_str(if dash { "<<-EOT\n" } else { "<<EOT\n" });
        // At least one line: hcl-edit 0.10 can misreport a later attribute as redefined after an
        // empty heredoc.
        let lines = 1 + self.rng.below(3);
        for _ in 0..lines {
            let line = self.rng.pick(&[
                "  indented text",
                "#!/bin/bash",
                "echo ${var.name}",
                "%{ for ip in var.ips ~}\nserver ${ ip }\n%{ endfor ~}",
                "{ \"json\": true,   \"x\": [1, 2] }",
                "    deeper = ${ upper(\"x\") }",
            ]);
            self.out.push_str(line);
            self.out.push('\n');
        }
        if dash {
            // The closing marker's indentation is kept as written, so it is structure, not layout.
            let n = self.rng.below(5) as usize;
            self.out.push_str(&" ".repeat(n));
        }
        self.out.push_str("EOT\n");
    }

    fn string(&mut self) {
        self.out.push('"');
        let s = self.rng.pick(STRINGS);
        self.out.push_str(s);
        if self.rng.chance(40) {
            self.out.push_str("${");
            self.opt();
            let inner = self
                .rng
                .pick(&["var.name", "local.env", "count.index", "upper(var.x)", "a.b[0]"]);
            self.out.push_str(inner);
            self.opt();
            self.out.push('}');
        }
        if self.rng.chance(10) {
            self.out.push_str("%{ if var.on }on%{ else }off%{ endif }");
        }
        self.out.push('"');
    }

    fn expr(&mut self, depth: u32, nest: u32) {
        let leaf = nest >= 3;
        match if leaf { self.rng.below(5) } else { self.rng.below(15) } {
            0 => {
                let n = self.rng.pick(&["1", "42", "3.14", "1e3", "0"]);
                self.out.push_str(n);
            }
            1 => self.string(),
            2 => {
                let t = self.rng.pick(&["true", "false", "null"]);
                self.out.push_str(t);
            }
            3 => {
                let t = self.rng.pick(&[
                    "var.region",
                    "aws_vpc.main.id",
                    "aws_subnet.private[0].id",
                    "aws_instance.web[*].private_ip",
                    "data.x.y.*.z",
                    "local.m[\"key\"]",
                ]);
                self.out.push_str(t);
            }
            4 => {
                self.out.push_str("\"${");
                self.opt();
                let t = self.rng.pick(&["var.legacy", "aws_vpc.main.id", "count.index"]);
                self.out.push_str(t);
                self.opt();
                self.out.push_str("}\"");
            }
            5 => self.call(depth, nest),
            6 | 7 => self.list(depth, nest),
            8 | 9 => self.object(depth, nest),
            10 => {
                self.expr(depth, nest + 1);
                self.req();
                let op = self.rng.pick(&["+", "-", "*", "==", "!=", "&&", "||", "<", ">=", "%"]);
                self.out.push_str(op);
                self.req();
                self.expr(depth, nest + 1);
            }
            11 => {
                self.expr(depth, nest + 1);
                self.opt();
                self.out.push('?');
                self.opt();
                self.expr(depth, nest + 1);
                self.req();
                self.out.push(':');
                self.opt();
                self.expr(depth, nest + 1);
            }
            12 => {
                let op = self.rng.pick(&["-", "!"]);
                self.out.push_str(op);
                self.opt();
                let t = self.rng.pick(&["var.n", "1", "local.flag"]);
                self.out.push_str(t);
            }
            13 => {
                if self.rng.chance(50) {
                    self.out.push('[');
                    self.opt();
                    self.out.push_str("for s in var.list");
                    self.opt();
                    self.out.push(':');
                    self.opt();
                    self.out.push_str("upper(s)");
                    if self.rng.chance(50) {
                        self.req();
                        self.out.push_str("if s != \"\"");
                    }
                    self.opt();
                    self.out.push(']');
                } else {
                    self.out.push('{');
                    self.opt();
                    self.out.push_str("for k,v in var.map");
                    self.opt();
                    self.out.push(':');
                    self.opt();
                    self.out.push_str("k=>v");
                    if self.rng.chance(30) {
                        self.out.push_str("...");
                    }
                    self.opt();
                    self.out.push('}');
                }
            }
            _ => {
                self.out.push('(');
                self.opt();
                self.expr(depth, nest + 1);
                self.opt();
                self.out.push(')');
            }
        }
    }

    fn call(&mut self, depth: u32, nest: u32) {
        let f = self.rng.pick(FUNCS);
        self.out.push_str(f);
        self.out.push('(');
        let n = self.rng.below(4);
        let multi = n > 0 && self.rng.chance(30);
        for i in 0..n {
            if multi {
                self.newline();
                self.indent();
            } else if i > 0 {
                self.opt();
            }
            self.expr(depth, nest + 1);
            if i + 1 < n || (multi && self.rng.chance(50)) {
                self.opt();
                self.out.push(',');
            }
        }
        if multi {
            self.newline();
            self.indent();
        }
        self.out.push(')');
    }

    fn list(&mut self, depth: u32, nest: u32) {
        self.out.push('[');
        let n = self.rng.below(4);
        let multi = n > 0 && self.rng.chance(40);
        for i in 0..n {
            if multi {
                self.newline();
                self.indent();
                if self.rng.chance(10) {
                    self.out.push_str("# about this item");
                    self.newline();
                    self.indent();
                }
            } else {
                self.opt();
            }
            self.expr(depth, nest + 1);
            if i + 1 < n || self.rng.chance(40) {
                self.opt();
                self.out.push(',');
            }
        }
        if multi {
            self.newline();
            self.indent();
        } else {
            self.opt();
        }
        self.out.push(']');
    }

    fn object(&mut self, depth: u32, nest: u32) {
        self.out.push('{');
        let n = self.rng.below(4);
        let multi = n > 0 && self.rng.chance(60);
        // Keys are unique (hcl-edit refuses repeated object keys); no `(expr)` keys, which hcl-edit
        // 0.10 misparses after an operator expression on the previous line.
        let mut keys = vec!["Name", "Environment", "\"quoted key\"", "ünïcode", "port"];
        for i in 0..n {
            if multi {
                self.newline();
                self.indent();
            } else {
                self.opt();
            }
            let key = keys.remove(self.rng.below(keys.len() as u64) as usize);
            self.out.push_str(key);
            self.opt();
            self.out.push(if self.rng.chance(85) { '=' } else { ':' });
            self.opt();
            self.expr(depth, nest + 1);
            if !multi && i + 1 < n {
                self.opt();
                self.out.push(',');
            } else if multi && self.rng.chance(20) {
                self.out.push(',');
            }
            if multi && self.rng.chance(15) {
                self.opt();
                self.out.push_str("# why\n");
            }
        }
        if multi {
            self.newline();
            self.indent();
        } else {
            self.opt();
        }
        self.out.push('}');
    }
}
