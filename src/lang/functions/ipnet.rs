//! IP network functions: `cidrhost cidrnetmask cidrsubnet cidrsubnets`, for IPv4 and IPv6.
//!
//! Prefixes are parsed as Terraform parses them (IPv4 octets may have leading zeros, read as
//! decimal) and the network address is used whatever host bits were given. Results are canonical:
//! IPv6 addresses in RFC 5952 form (`fe80::3:0:0:0`), IPv4-mapped addresses in dotted form as Go
//! prints them. Negative host numbers count back from the end of the range
//! (`cidrhost("10.0.0.0/24", -1)` is `10.0.0.255`). `cidrsubnets` allocates consecutive, aligned
//! subnets the way Terraform does. Errors use Terraform's words ("insufficient address space to
//! extend prefix of 16 by 20", "prefix extension of 8 does not accommodate a subnet numbered 256").
//!
//! Deviations: `cidrsubnets` works for networks that start at address zero (`0.0.0.0/0`), which
//! Terraform rejects through an overflow check; a negative `netnum` for `cidrsubnet` is an error.

use super::{Call, Fail, Spec, Ty, arg_err, fail, func, p};
use infra_provider::Value;
use std::net::Ipv6Addr;

pub(crate) static SPECS: &[Spec] = &[
    func(
        "cidrhost",
        &[p("prefix", Ty::String), p("hostnum", Ty::Number)],
        cidrhost,
    ),
    func("cidrnetmask", &[p("prefix", Ty::String)], cidrnetmask),
    func(
        "cidrsubnet",
        &[
            p("prefix", Ty::String),
            p("newbits", Ty::Number),
            p("netnum", Ty::Number),
        ],
        cidrsubnet,
    ),
    func("cidrsubnets", &[p("prefix", Ty::String)], cidrsubnets).var(p("newbits", Ty::Number)),
];

/// A network: address (IPv4 in the low 32 bits), address length in bits (32 or 128), prefix length.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Net {
    addr: u128,
    bits: u32,
    prefix: u32,
}

fn mask(bits: u32, prefix: u32) -> u128 {
    let all = host_max(bits);
    if prefix == 0 { 0 } else { all & (all << (bits - prefix)) }
}

impl Net {
    fn masked(addr: u128, bits: u32, prefix: u32) -> Net {
        Net {
            addr: addr & mask(bits, prefix),
            bits,
            prefix,
        }
    }
    fn last(&self) -> u128 {
        self.addr | host_max(self.bits - self.prefix)
    }
    fn contains(&self, addr: u128) -> bool {
        addr & mask(self.bits, self.prefix) == self.addr
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", ip_string(self.addr, self.bits), self.prefix)
    }
}

/// The largest host number of a host part `len` bits long.
fn host_max(len: u32) -> u128 {
    if len >= 128 { u128::MAX } else { (1u128 << len) - 1 }
}

fn ip_string(addr: u128, bits: u32) -> String {
    if bits == 32 {
        let a = addr as u32;
        return format!("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
    }
    if addr >> 32 == 0xffff {
        // Go prints IPv4-mapped addresses in dotted form.
        return ip_string(addr & 0xffff_ffff, 32);
    }
    Ipv6Addr::from(addr).to_string()
}

fn parse_v4(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut out = 0u32;
    for p in parts {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = p.parse().ok()?;
        if n > 255 {
            return None;
        }
        out = (out << 8) | n;
    }
    Some(out)
}

/// Parses `addr/len` as Terraform's `ipaddr.ParseCIDR` does.
fn parse_cidr(s: &str) -> Result<Net, String> {
    let bad = || format!("invalid CIDR address: {s}");
    let (addr, len) = s.split_once('/').ok_or_else(bad)?;
    if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let prefix: u32 = len.parse().map_err(|_| bad())?;
    let (value, bits) = if let Some(v4) = parse_v4(addr) {
        (u128::from(v4), 32)
    } else {
        let v6: Ipv6Addr = addr.parse().map_err(|_| bad())?;
        (u128::from(v6), 128)
    };
    if prefix > bits {
        return Err(bad());
    }
    Ok(Net::masked(value, bits, prefix))
}

fn network(c: &Call) -> Result<Net, Fail> {
    parse_cidr(c.str(0)).map_err(|e| fail(format!("invalid CIDR expression: {e}")))
}

fn cidrhost(c: &Call) -> Result<Value, Fail> {
    let net = network(c)?;
    let num = c.int(1)?;
    let host_len = net.bits - net.prefix;
    let max = host_max(host_len);
    let offset = if num < 0 {
        let back = u128::from((-(num + 1)) as u64);
        (back <= max).then(|| max - back)
    } else {
        let n = num as u128;
        (n <= max).then_some(n)
    };
    let Some(offset) = offset else {
        return Err(fail(format!(
            "prefix of {} does not accommodate a host numbered {num}",
            net.prefix
        )));
    };
    Ok(Value::String(ip_string(net.addr | offset, net.bits)))
}

fn cidrnetmask(c: &Call) -> Result<Value, Fail> {
    let net = network(c)?;
    if net.bits != 32 {
        return Err(fail(format!("IPv6 addresses cannot have a netmask: {}", c.str(0))));
    }
    Ok(Value::String(ip_string(mask(32, net.prefix), 32)))
}

fn cidrsubnet(c: &Call) -> Result<Value, Fail> {
    let net = network(c)?;
    let newbits = c.int(1)?;
    let netnum = c.int(2)?;
    if newbits < 0 {
        return Err(arg_err(1, "must not be negative"));
    }
    let new_prefix = i64::from(net.prefix) + newbits;
    if new_prefix > i64::from(net.bits) {
        return Err(fail(format!(
            "insufficient address space to extend prefix of {} by {newbits}",
            net.prefix
        )));
    }
    let new_prefix = new_prefix as u32;
    if netnum < 0 || netnum as u128 > host_max(newbits as u32) {
        return Err(fail(format!(
            "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
        )));
    }
    let shift = net.bits - new_prefix;
    let sub = if shift >= 128 { 0 } else { (netnum as u128) << shift };
    Ok(Value::String(
        Net {
            addr: net.addr | sub,
            bits: net.bits,
            prefix: new_prefix,
        }
        .to_string(),
    ))
}

fn cidrsubnets(c: &Call) -> Result<Value, Fail> {
    let net = parse_cidr(c.str(0)).map_err(|e| arg_err(0, format!("invalid CIDR expression: {e}")))?;
    if c.args.len() == 1 {
        return Ok(Value::List(Vec::new()));
    }
    let first = c.int(1)?;
    // The subnet just before the network at the first requested size.
    let first_len = (i64::from(net.prefix) + first).clamp(0, i64::from(net.bits)) as u32;
    let mut current = Net::masked(net.addr.wrapping_sub(1) & host_max(net.bits), net.bits, first_len);
    let mut out = Vec::with_capacity(c.args.len() - 1);
    for i in 1..c.args.len() {
        let n = c.int(i)?;
        if n < 1 {
            return Err(arg_err(i, "must extend prefix by at least one bit"));
        }
        if n > 32 {
            return Err(arg_err(i, "may not extend prefix by more than 32 bits"));
        }
        let length = net.prefix as i64 + n;
        if length > i64::from(net.bits) {
            let protocol = if net.bits == 32 { "IPv4" } else { "IPv6" };
            return Err(arg_err(
                i,
                format!("would extend prefix to {length} bits, which is too long for an {protocol} address"),
            ));
        }
        let length = length as u32;
        // The next subnet of this size after the end of the current one.
        let aligned = Net::masked(current.last(), net.bits, length);
        let after = aligned.last().wrapping_add(1) & host_max(net.bits);
        let next = Net::masked(after, net.bits, length);
        // Terraform also treats the wrap-around of the very first step as running out of space, which
        // makes every network starting at address zero fail; only a real overflow fails here.
        let wrapped = after == 0 && !(i == 1 && net.addr == 0);
        if wrapped || !net.contains(next.addr) {
            return Err(arg_err(
                i,
                format!(
                    "not enough remaining address space for a subnet with a prefix of {length} bits after {current}"
                ),
            ));
        }
        current = next;
        out.push(Value::String(current.to_string()));
    }
    Ok(Value::List(out))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_err, call_ok, strs};
    use super::{mask, parse_cidr};
    use infra_provider::Value;

    #[test]
    fn masks() {
        assert_eq!(mask(32, 0), 0);
        assert_eq!(mask(32, 24), 0xffff_ff00);
        assert_eq!(mask(32, 32), 0xffff_ffff);
        assert_eq!(mask(128, 128), u128::MAX);
        assert_eq!(mask(128, 64), u128::MAX << 64);
        assert_eq!(parse_cidr("010.0.0.0/21").unwrap().to_string(), "10.0.0.0/21");
        assert_eq!(parse_cidr("10.1.2.3/16").unwrap().to_string(), "10.1.0.0/16");
    }

    #[test]
    fn documented_examples() {
        let cases: Vec<(&str, Vec<Value>, Value)> = vec![
            (
                "cidrhost",
                vec!["10.12.112.0/20".into(), 16.into()],
                "10.12.112.16".into(),
            ),
            (
                "cidrhost",
                vec!["10.12.112.0/20".into(), 268.into()],
                "10.12.113.12".into(),
            ),
            (
                "cidrhost",
                vec!["fd00:fd12:3456:7890:00a2::/72".into(), 34.into()],
                "fd00:fd12:3456:7890::22".into(),
            ),
            (
                "cidrhost",
                vec!["192.168.1.0/24".into(), 5.into()],
                "192.168.1.5".into(),
            ),
            (
                "cidrhost",
                vec!["192.168.1.0/24".into(), (-5).into()],
                "192.168.1.251".into(),
            ),
            (
                "cidrhost",
                vec!["192.168.1.0/24".into(), (-256).into()],
                "192.168.1.0".into(),
            ),
            ("cidrhost", vec!["10.0.0.0/32".into(), 0.into()], "10.0.0.0".into()),
            ("cidrnetmask", vec!["172.16.0.0/12".into()], "255.240.0.0".into()),
            ("cidrnetmask", vec!["192.168.1.0/32".into()], "255.255.255.255".into()),
            ("cidrnetmask", vec!["0.0.0.0/0".into()], "0.0.0.0".into()),
            (
                "cidrsubnet",
                vec!["10.0.0.0/16".into(), 8.into(), 2.into()],
                "10.0.2.0/24".into(),
            ),
            (
                "cidrsubnet",
                vec!["172.16.0.0/12".into(), 4.into(), 2.into()],
                "172.18.0.0/16".into(),
            ),
            (
                "cidrsubnet",
                vec!["10.1.2.0/24".into(), 4.into(), 15.into()],
                "10.1.2.240/28".into(),
            ),
            (
                "cidrsubnet",
                vec!["fd00:fd12:3456:7890::/56".into(), 16.into(), 162.into()],
                "fd00:fd12:3456:7800:a200::/72".into(),
            ),
            (
                "cidrsubnet",
                vec!["192.168.2.0/20".into(), 4.into(), 6.into()],
                "192.168.6.0/24".into(),
            ),
            (
                "cidrsubnet",
                vec!["fe80::/48".into(), 16.into(), 6.into()],
                "fe80:0:0:6::/64".into(),
            ),
            (
                "cidrsubnet",
                vec!["fe80::/48".into(), 33.into(), 6.into()],
                "fe80::3:0:0:0/81".into(),
            ),
            (
                "cidrsubnet",
                vec!["10.0.0.0/8".into(), 0.into(), 0.into()],
                "10.0.0.0/8".into(),
            ),
            (
                "cidrsubnets",
                vec!["10.1.0.0/16".into(), 4.into(), 4.into(), 8.into(), 4.into()],
                strs(&["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"]),
            ),
            (
                "cidrsubnets",
                vec![
                    "fd00:fd12:3456:7890::/56".into(),
                    16.into(),
                    16.into(),
                    16.into(),
                    32.into(),
                ],
                strs(&[
                    "fd00:fd12:3456:7800::/72",
                    "fd00:fd12:3456:7800:100::/72",
                    "fd00:fd12:3456:7800:200::/72",
                    "fd00:fd12:3456:7800:300::/88",
                ]),
            ),
            (
                "cidrsubnets",
                vec![
                    "10.0.0.0/21".into(),
                    3.into(),
                    3.into(),
                    3.into(),
                    4.into(),
                    4.into(),
                    4.into(),
                    7.into(),
                    7.into(),
                    7.into(),
                ],
                strs(&[
                    "10.0.0.0/24",
                    "10.0.1.0/24",
                    "10.0.2.0/24",
                    "10.0.3.0/25",
                    "10.0.3.128/25",
                    "10.0.4.0/25",
                    "10.0.4.128/28",
                    "10.0.4.144/28",
                    "10.0.4.160/28",
                ]),
            ),
            (
                "cidrsubnets",
                vec!["010.0.0.0/21".into(), 3.into()],
                strs(&["10.0.0.0/24"]),
            ),
            (
                "cidrsubnets",
                vec!["0.0.0.0/0".into(), 1.into(), 1.into()],
                strs(&["0.0.0.0/1", "128.0.0.0/1"]),
            ),
            ("cidrsubnets", vec!["10.0.0.0/8".into()], Value::List(vec![])),
        ];
        for (name, args, want) in cases {
            assert_eq!(call_ok(name, args.clone()), want, "{name}({args:?})");
        }
    }

    #[test]
    fn errors() {
        let cases: Vec<(&str, Vec<Value>, &str, Option<usize>)> = vec![
            (
                "cidrsubnet",
                vec!["10.0.0.0/16".into(), 20.into(), 0.into()],
                "Call to function \"cidrsubnet\" failed: insufficient address space to extend prefix of 16 by 20.",
                None,
            ),
            (
                "cidrsubnet",
                vec!["10.0.0.0/16".into(), 8.into(), 256.into()],
                "prefix extension of 8 does not accommodate a subnet numbered 256",
                None,
            ),
            (
                "cidrsubnet",
                vec!["10.0.0.0/33".into(), 8.into(), 1.into()],
                "invalid CIDR expression: invalid CIDR address: 10.0.0.0/33",
                None,
            ),
            (
                "cidrsubnet",
                vec!["not-an-ip".into(), 8.into(), 1.into()],
                "invalid CIDR expression: invalid CIDR address: not-an-ip",
                None,
            ),
            (
                "cidrhost",
                vec!["10.0.0.0/30".into(), 4.into()],
                "prefix of 30 does not accommodate a host numbered 4",
                None,
            ),
            (
                "cidrhost",
                vec!["10.0.0.0/30".into(), (-5).into()],
                "prefix of 30 does not accommodate a host numbered -5",
                None,
            ),
            (
                "cidrnetmask",
                vec!["fe80::/48".into()],
                "IPv6 addresses cannot have a netmask: fe80::/48",
                None,
            ),
            (
                "cidrsubnets",
                vec!["10.0.0.0/30".into(), 1.into(), 3.into()],
                "would extend prefix to 33 bits, which is too long for an IPv4 address",
                Some(2),
            ),
            (
                "cidrsubnets",
                vec!["10.0.0.0/8".into(), 1.into(), 1.into(), 1.into()],
                "not enough remaining address space for a subnet with a prefix of 9 bits after 10.128.0.0/9",
                Some(3),
            ),
            (
                "cidrsubnets",
                vec!["10.0.0.0/8".into(), 1.into(), 0.into()],
                "must extend prefix by at least one bit",
                Some(2),
            ),
            (
                "cidrsubnets",
                vec!["10.0.0.0/8".into(), 1.into(), (-1).into()],
                "must extend prefix by at least one bit",
                Some(2),
            ),
            (
                "cidrsubnets",
                vec!["fe80::/48".into(), 1.into(), 33.into()],
                "may not extend prefix by more than 32 bits",
                Some(2),
            ),
            (
                "cidrsubnets",
                vec!["bad".into(), 1.into()],
                "Invalid value for \"prefix\" parameter: invalid CIDR expression",
                Some(0),
            ),
        ];
        for (name, args, want, arg) in cases {
            let e = call_err(name, args.clone());
            assert!(
                e.message.contains(want),
                "{name}({args:?}): got {:?}, want {want:?}",
                e.message
            );
            assert_eq!(e.arg, arg, "{name}({args:?})");
        }
    }
}
