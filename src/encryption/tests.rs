//! Encryption: envelopes round-trip, are authenticated, and refuse wrong or missing keys; fallbacks read
//! what older keys wrote; the configuration block is checked with its lines.

use super::*;
use crate::backend_set::BackendSet;
use crate::state::{StateError, StateStore};
use infra_backend::KeyProviderType;

const PASS: &str = "correct horse battery staple";
const OLD: &str = "an older passphrase, rotated";

/// A passphrase key with the fewest iterations the provider accepts (the tests derive many keys).
fn pbkdf2(pass: &str) -> Arc<dyn KeyProvider> {
    Arc::new(pbkdf2::Pbkdf2::new(pass, pbkdf2::MIN_ITERATIONS))
}

fn with(pass: &str, fallback: Option<&str>) -> Arc<Encryptor> {
    Encryptor::new(
        Some(Method::new("aes_gcm.main".into(), "pbkdf2.main".into(), pbkdf2(pass))),
        fallback
            .map(|f| Method::new("aes_gcm.old".into(), "pbkdf2.old".into(), pbkdf2(f)))
            .into_iter()
            .collect(),
    )
}

fn header() -> Header {
    Header {
        kind: "state",
        lineage: "lin-1".into(),
        serial: 7,
    }
}

#[tokio::test]
async fn an_envelope_round_trips_and_hides_the_plaintext() {
    let e = with(PASS, None);
    let plain = br#"{"format_version":1,"secret":"hunter2-password"}"#;
    let sealed = e.seal(plain, &header()).await.unwrap();
    let text = String::from_utf8_lossy(&sealed);
    assert!(!text.contains("hunter2"), "{text}");
    assert_eq!(peek(&sealed), Some(("lin-1".to_string(), 7)));
    let opened = e.open(&sealed, "state").await.unwrap();
    assert_eq!(opened.plaintext, plain);
    assert_eq!(opened.encrypted_with.as_deref(), Some("pbkdf2.main"));
    // Two writes never share a nonce (nor, then, a ciphertext).
    let again = e.seal(plain, &header()).await.unwrap();
    assert_ne!(sealed, again);
    // Plaintext passes through.
    let p = e.open(plain, "state").await.unwrap();
    assert!(p.encrypted_with.is_none());
}

#[tokio::test]
async fn wrong_missing_and_tampered_keys_are_errors() {
    let sealed = with(PASS, None).seal(b"{}", &header()).await.unwrap();
    let wrong = with("not the right passphrase!", None).open(&sealed, "state").await;
    assert!(
        wrong.as_ref().is_err_and(|e| e.contains("does not decrypt")),
        "{wrong:?}"
    );
    let none = Encryptor::none().open(&sealed, "state").await;
    assert!(
        none.as_ref()
            .is_err_and(|e| e.contains("no encryption key is configured") && e.contains("INFRA_STATE_PASSPHRASE")),
        "{none:?}"
    );
    // The serial in the clear is authenticated: changing it breaks decryption.
    let mut env: serde_json::Value = serde_json::from_slice(&sealed).unwrap();
    env["serial"] = 8.into();
    let tampered = serde_json::to_vec(&env).unwrap();
    assert!(with(PASS, None).open(&tampered, "state").await.is_err());
}

#[tokio::test]
async fn a_fallback_reads_what_the_old_key_wrote_and_new_writes_use_the_new_key() {
    let old = with(OLD, None).seal(b"{\"v\":1}", &header()).await.unwrap();
    let rotated = with(PASS, Some(OLD));
    let opened = rotated.open(&old, "state").await.unwrap();
    assert_eq!(opened.encrypted_with.as_deref(), Some("pbkdf2.old"));
    let new = rotated.seal(&opened.plaintext, &header()).await.unwrap();
    assert!(
        with(OLD, None).open(&new, "state").await.is_err(),
        "the old key no longer reads it"
    );
    assert!(with(PASS, None).open(&new, "state").await.is_ok());
}

#[tokio::test]
async fn a_store_encrypts_migrates_plaintext_and_refuses_the_wrong_key_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.tfstate.json");
    // A plaintext state, written before encryption was turned on.
    let plain = StateStore::local(&path);
    let mut st = crate::state::conformance::sample();
    plain.persist(&mut st).await.unwrap();
    let blob = || Arc::new(crate::state::local::LocalBlob::new(&path));
    let enc = StateStore::new(blob(), with(PASS, None));
    let mut loaded = enc.load().await.unwrap().unwrap();
    assert_eq!(loaded.serial, 1);
    // The next write encrypts it, even without a change.
    enc.persist(&mut loaded).await.unwrap();
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(raw.contains("encrypted_data") && !raw.contains("vpc-1"), "{raw}");
    assert_eq!(loaded.serial, 2);
    // Without the key, or with a wrong one: an error naming the state, and nothing written.
    for e in [Encryptor::none(), with("wrong wrong wrong wrong", None)] {
        let s = StateStore::new(blob(), e);
        match s.load().await {
            Err(err @ StateError::Encryption { .. }) => assert!(err.to_string().contains("s.tfstate.json"), "{err}"),
            other => panic!("expected an encryption error, got {other:?}"),
        }
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), raw, "nothing was written");
    let back = StateStore::new(blob(), with(PASS, None)).load().await.unwrap().unwrap();
    assert_eq!(back.resources, st.resources);
}

fn parse(text: &str) -> (EncryptionSpec, crate::diag::Diagnostics, crate::config::Config) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), text).unwrap();
    let (cfg, d) = crate::config::Config::load(dir.path());
    (cfg.terraform.encryption.clone().unwrap_or_default(), d, cfg)
}

#[tokio::test]
async fn the_block_builds_state_and_plan_encryptors_with_fallback() {
    let (spec, d, _) = parse(
        r#"terraform {
  encryption {
    key_provider "pbkdf2" "new" {
      iterations = 200000
    }
    key_provider "pbkdf2" "old" {
      iterations = 200000
    }
    method "aes_gcm" "new" {
      keys = key_provider.pbkdf2.new
    }
    method "aes_gcm" "old" {
      keys = key_provider.pbkdf2.old
    }
    state {
      method = method.aes_gcm.new
      fallback {
        method = method.aes_gcm.old
      }
    }
    plan {
      method = method.aes_gcm.new
    }
  }
}
"#,
    );
    assert!(!d.has_errors(), "{d:?}");
    let env = |k: &str| match k {
        PASSPHRASE_ENV => Some(PASS.to_string()),
        FALLBACK_PASSPHRASE_ENV => Some(OLD.to_string()),
        _ => None,
    };
    let e = build(&spec, &BackendSet::default(), &env).await.unwrap();
    assert_eq!(e.state.describe(), Some("pbkdf2.new"));
    assert_eq!(e.plan.describe(), Some("pbkdf2.new"));
    let old = with(OLD, None);
    // with() names its provider pbkdf2.main; the block's fallback is another pbkdf2 provider: kinds match.
    let sealed = old.seal(b"{}", &header()).await.unwrap();
    assert_eq!(
        e.state.open(&sealed, "state").await.unwrap().encrypted_with.as_deref(),
        Some("pbkdf2.old")
    );
    // Without the passphrases: an error naming the variable.
    let errs = build(&spec, &BackendSet::default(), &|_| None).await.err().unwrap();
    assert!(errs.iter().any(|e| e.detail.contains(PASSPHRASE_ENV)), "{errs:?}");
    assert!(
        errs.iter().any(|e| e.detail.contains(FALLBACK_PASSPHRASE_ENV)),
        "{errs:?}"
    );
}

#[test]
fn mistakes_in_the_block_name_their_line() {
    let (_, d, cfg) = parse(
        r#"terraform {
  encryption {
    method "aes_gcm" "m" {
      keys = key_provider.pbkdf2.missing
    }
    method "rot13" "x" {}
    state {
      method = method.aes_gcm.nope
    }
  }
}
"#,
    );
    let text = crate::diag::render(&d, &cfg.sources);
    assert!(
        text.contains("key_provider.pbkdf2.missing, which is not declared"),
        "{text}"
    );
    assert!(text.contains("\"rot13\" is not supported"), "{text}");
    assert!(text.contains("method.aes_gcm.nope, which is not declared"), "{text}");
    assert!(text.contains("main.tf:6"), "{text}");
}

#[tokio::test]
async fn short_passphrases_and_weak_settings_are_refused() {
    let t = Pbkdf2Type;
    let mut s = infra_backend::Settings::new();
    s.insert("passphrase".into(), "short".into());
    let e = t.configure(&s).await.err().unwrap();
    assert!(e.to_string().contains("at least 16"), "{e}");
    s.insert("passphrase".into(), PASS.into());
    s.insert("iterations".into(), 1000.into());
    let e = t.configure(&s).await.err().unwrap();
    assert!(e.to_string().contains("at least 200000"), "{e}");
}
