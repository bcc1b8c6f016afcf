//! Hash and identifier functions: `base64sha256 base64sha512 md5 sha1 sha256 sha512 uuid uuidv5` and
//! the file variants `filemd5 filesha1 filesha256 filesha512 filebase64sha256 filebase64sha512`.
//!
//! Hex digests are lower case; `base64*` variants encode the raw digest with standard padded base64.
//! String hashes hash the UTF-8 bytes of the string; file hashes hash the file's bytes (paths resolve
//! as in [`super::filesystem`]). `uuid()` returns a fresh random (version 4) UUID; `uuidv5(namespace,
//! name)` accepts the namespaces `dns`, `url`, `oid`, `x500` or any UUID.

use super::encoding::b64;
use super::filesystem::read_file;
use super::{Call, Fail, Spec, Ty, fail, func, p};
use infra_provider::Value;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

pub(crate) static SPECS: &[Spec] = &[
    func("base64sha256", &[p("str", Ty::String)], base64sha256),
    func("base64sha512", &[p("str", Ty::String)], base64sha512),
    func("md5", &[p("str", Ty::String)], md5),
    func("sha1", &[p("str", Ty::String)], sha1),
    func("sha256", &[p("str", Ty::String)], sha256),
    func("sha512", &[p("str", Ty::String)], sha512),
    func("filemd5", &[p("path", Ty::String)], filemd5),
    func("filesha1", &[p("path", Ty::String)], filesha1),
    func("filesha256", &[p("path", Ty::String)], filesha256),
    func("filesha512", &[p("path", Ty::String)], filesha512),
    func("filebase64sha256", &[p("path", Ty::String)], filebase64sha256),
    func("filebase64sha512", &[p("path", Ty::String)], filebase64sha512),
    func("uuid", &[], uuid),
    func("uuidv5", &[p("namespace", Ty::String), p("name", Ty::String)], uuidv5),
];

fn hex_of<D: Digest>(data: &[u8]) -> Result<Value, Fail> {
    Ok(Value::String(hex::encode(D::digest(data))))
}

fn b64_of<D: Digest>(data: &[u8]) -> Result<Value, Fail> {
    Ok(Value::String(b64(&D::digest(data))))
}

fn base64sha256(c: &Call) -> Result<Value, Fail> {
    b64_of::<Sha256>(c.str(0).as_bytes())
}
fn base64sha512(c: &Call) -> Result<Value, Fail> {
    b64_of::<Sha512>(c.str(0).as_bytes())
}
fn md5(c: &Call) -> Result<Value, Fail> {
    hex_of::<Md5>(c.str(0).as_bytes())
}
fn sha1(c: &Call) -> Result<Value, Fail> {
    hex_of::<Sha1>(c.str(0).as_bytes())
}
fn sha256(c: &Call) -> Result<Value, Fail> {
    hex_of::<Sha256>(c.str(0).as_bytes())
}
fn sha512(c: &Call) -> Result<Value, Fail> {
    hex_of::<Sha512>(c.str(0).as_bytes())
}
fn filemd5(c: &Call) -> Result<Value, Fail> {
    hex_of::<Md5>(&read_file(c, 0)?)
}
fn filesha1(c: &Call) -> Result<Value, Fail> {
    hex_of::<Sha1>(&read_file(c, 0)?)
}
fn filesha256(c: &Call) -> Result<Value, Fail> {
    hex_of::<Sha256>(&read_file(c, 0)?)
}
fn filesha512(c: &Call) -> Result<Value, Fail> {
    hex_of::<Sha512>(&read_file(c, 0)?)
}
fn filebase64sha256(c: &Call) -> Result<Value, Fail> {
    b64_of::<Sha256>(&read_file(c, 0)?)
}
fn filebase64sha512(c: &Call) -> Result<Value, Fail> {
    b64_of::<Sha512>(&read_file(c, 0)?)
}

fn uuid(_: &Call) -> Result<Value, Fail> {
    Ok(Value::String(uuid::Uuid::new_v4().to_string()))
}

fn uuidv5(c: &Call) -> Result<Value, Fail> {
    let ns = match c.str(0) {
        "dns" => uuid::Uuid::from_u128(0x6ba7b810_9dad_11d1_80b4_00c04fd430c8),
        "url" => uuid::Uuid::from_u128(0x6ba7b811_9dad_11d1_80b4_00c04fd430c8),
        "oid" => uuid::Uuid::from_u128(0x6ba7b812_9dad_11d1_80b4_00c04fd430c8),
        "x500" => uuid::Uuid::from_u128(0x6ba7b814_9dad_11d1_80b4_00c04fd430c8),
        other => uuid::Uuid::parse_str(other)
            .map_err(|e| fail(format!("uuidv5() doesn't support namespace {} ({e})", c.show(0, other))))?,
    };
    let mut h = Sha1::new();
    h.update(ns.as_bytes());
    h.update(c.str(1).as_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Ok(Value::String(uuid::Uuid::from_bytes(bytes).hyphenated().to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_err, call_in, call_ok};
    use infra_provider::Value;

    #[test]
    fn documented_digests() {
        let cases = [
            (
                "base64sha256",
                "hello world",
                "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
            ),
            (
                "base64sha512",
                "hello world",
                "MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw==",
            ),
            ("md5", "hello world", "5eb63bbbe01eeed093cb22bb8f5acdc3"),
            ("sha1", "hello world", "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"),
            (
                "sha256",
                "hello world",
                "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
            ),
            (
                "sha512",
                "hello world",
                "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f",
            ),
        ];
        for (name, input, want) in cases {
            assert_eq!(call_ok(name, vec![input.into()]), Value::from(want), "{name}");
        }
    }

    #[test]
    fn file_digests_match_string_digests() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hw.txt"), "hello world").unwrap();
        for (file_fn, str_fn) in [
            ("filemd5", "md5"),
            ("filesha1", "sha1"),
            ("filesha256", "sha256"),
            ("filesha512", "sha512"),
            ("filebase64sha256", "base64sha256"),
            ("filebase64sha512", "base64sha512"),
        ] {
            assert_eq!(
                call_in(dir.path(), file_fn, vec!["hw.txt".into()]),
                call_ok(str_fn, vec!["hello world".into()])
            );
        }
    }

    #[test]
    fn uuids() {
        let cases = [
            ("dns", "faa898db-9b9d-5b75-86a9-149e7bb8e3b8"),
            ("url", "2c1ff6b4-211f-577e-94de-d978b0caa16e"),
            ("oid", "61eeea26-5176-5288-87fc-232d6ed30d2f"),
            ("x500", "7e12415e-f7c9-57c3-9e43-52dc9950d264"),
            (
                "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
                "faa898db-9b9d-5b75-86a9-149e7bb8e3b8",
            ),
        ];
        for (ns, want) in cases {
            assert_eq!(
                call_ok("uuidv5", vec![ns.into(), "tada".into()]),
                Value::from(want),
                "uuidv5({ns}, tada)"
            );
        }
        let e = call_err("uuidv5", vec!["tld".into(), "x".into()]);
        assert!(
            e.message.contains("uuidv5() doesn't support namespace \"tld\""),
            "{}",
            e.message
        );
        let a = call_ok("uuid", vec![]);
        let b = call_ok("uuid", vec![]);
        assert_ne!(a, b);
        let s = a.as_str().unwrap();
        assert_eq!(s.len(), 36);
        assert!(
            s.chars()
                .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }
}
