//! Ephemeral resources and write-only arguments against moto: the database password pattern, where a
//! generated password goes into Secrets Manager, a parameter and the database without ever being in a
//! plan, a plan file, the state or the output.

use crate::support::World;

const CFG: &str = r#"
variable "rotation" {
  type    = number
  default = 1
}

variable "bootstrap_token" {
  type      = string
  ephemeral = true
}

ephemeral "aws_secretsmanager_random_password" "db" {
  password_length     = 24
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "db" {
  name                    = "stage/db-password"
  recovery_window_in_days = 0
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id                = aws_secretsmanager_secret.db.id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.db.random_password
  secret_string_wo_version = var.rotation
}

# Read back from Secrets Manager at apply, after the version above exists.
ephemeral "aws_secretsmanager_secret_version" "db" {
  secret_id = aws_secretsmanager_secret_version.db.secret_id
}

resource "aws_db_instance" "db" {
  identifier          = "stage-db"
  engine              = "postgres"
  engine_version      = "16.3"
  instance_class      = "db.t4g.micro"
  allocated_storage   = 20
  username            = "app"
  password_wo         = ephemeral.aws_secretsmanager_secret_version.db.secret_string
  password_wo_version = var.rotation
  skip_final_snapshot = true
}

resource "aws_ssm_parameter" "copy" {
  name             = "/stage/db-password"
  type             = "SecureString"
  value_wo         = ephemeral.aws_secretsmanager_secret_version.db.secret_string
  value_wo_version = var.rotation
}

resource "aws_ssm_parameter" "bootstrap" {
  name             = "/stage/bootstrap"
  type             = "SecureString"
  value_wo         = var.bootstrap_token
  value_wo_version = 1
}
"#;

const TOKEN: &str = "bootstrap-0123456789-token";

async fn secret_and_parameters(w: &World) -> (String, String, String) {
    let conf = w.sdk_config().await;
    let sm = aws_sdk_secretsmanager::Client::new(&conf);
    let ssm = aws_sdk_ssm::Client::new(&conf);
    let secret = sm
        .get_secret_value()
        .secret_id("stage/db-password")
        .send()
        .await
        .unwrap()
        .secret_string
        .unwrap();
    let mut params = Vec::new();
    for name in ["/stage/db-password", "/stage/bootstrap"] {
        let p = ssm
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .unwrap();
        params.push(p.parameter.unwrap().value.unwrap());
    }
    (secret, params.remove(0), params.remove(0))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_database_password_pattern_keeps_no_secret_anywhere() {
    let w = World::aws();
    w.write(&[("main.tf", CFG)]);
    let env = [("TF_VAR_bootstrap_token", TOKEN)];
    let plan = w.infra_env(&["plan", "--out", "first.tfplan"], &env);
    let shown = plan.ok().to_string();
    assert!(shown.contains("Plan: 5 to add"), "{}", plan.all());
    assert!(
        !shown.contains("ephemeral."),
        "ephemeral resources are not changes: {shown}"
    );
    let saved = std::fs::read(w.path().join("first.tfplan")).unwrap();
    assert!(
        !String::from_utf8_lossy(&saved).contains(TOKEN),
        "the plan file holds an ephemeral variable"
    );

    // A saved plan asks for its ephemeral variables again.
    let r = w.infra(&["apply", "first.tfplan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("bootstrap_token"), "{}", r.all());
    let applied = w.infra_env(&["apply", "first.tfplan"], &env);
    assert!(
        applied.ok().contains("Apply complete! Resources: 5 added"),
        "{}",
        applied.all()
    );

    let (secret, copy, bootstrap) = secret_and_parameters(&w).await;
    assert_eq!(secret.len(), 24, "{secret}");
    assert!(secret.chars().all(|c| c.is_ascii_alphanumeric()), "{secret}");
    assert_eq!(
        copy, secret,
        "the parameter got the secret read back after its version was made"
    );
    assert_eq!(bootstrap, TOKEN);
    let state = std::fs::read_to_string(w.state_file("default")).unwrap();
    for (what, text) in [
        ("state", state.as_str()),
        ("apply output", &applied.all()),
        ("plan output", &plan.all()),
    ] {
        assert!(!text.contains(&secret), "the {what} holds the password");
        assert!(!text.contains(TOKEN), "the {what} holds the ephemeral variable");
    }
    let st = w.state_json("default");
    for r in st["resources"].as_array().unwrap() {
        for wo in ["password_wo", "secret_string_wo", "value_wo"] {
            if let Some(v) = r["attributes"].get(wo) {
                assert!(v.is_null(), "{} keeps {wo}: {v}", r["address"]);
            }
        }
    }

    // Nothing to do on the next plan; its JSON form holds no secret either.
    let again = w.infra_env(&["plan", "--detailed-exitcode"], &env);
    assert_eq!(again.code, 0, "{}", again.all());
    let json = w.infra_env(&["plan", "--json"], &env);
    assert!(!json.ok().contains(&secret) && !json.ok().contains(TOKEN));
    let doc: serde_json::Value = serde_json::from_str(json.ok()).unwrap();
    assert!(
        doc["variables"].get("bootstrap_token").is_none(),
        "{}",
        doc["variables"]
    );

    // Rotation: a new version number sends a new password everywhere.
    let r = w.infra_env(&["apply", "--auto-approve", "--var", "rotation=2"], &env);
    assert!(r.ok().contains("Apply complete!"), "{}", r.all());
    assert!(!r.all().contains(&secret));
    let (rotated, copy, _) = secret_and_parameters(&w).await;
    assert_ne!(rotated, secret);
    assert_eq!(rotated.len(), 24);
    assert_eq!(copy, rotated);
}

#[test]
fn an_ephemeral_value_in_an_argument_that_is_kept_is_refused_before_any_cloud_call() {
    let w = World::aws();
    w.write(&[(
        "main.tf",
        r#"ephemeral "aws_secretsmanager_random_password" "db" {
  password_length = 16
}

resource "aws_ssm_parameter" "p" {
  name  = "/leak"
  type  = "SecureString"
  value = ephemeral.aws_secretsmanager_random_password.db.random_password
}
"#,
    )]);
    let r = w.infra(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("Invalid use of ephemeral value"), "{}", r.stderr);
    assert!(r.stderr.contains("main.tf:8"), "{}", r.stderr);
    assert!(
        r.stderr.contains("value_wo"),
        "the hint names the write-only form: {}",
        r.stderr
    );
    let v = w.infra(&["validate"]);
    assert_eq!(v.code, 1, "{}", v.all());
}
