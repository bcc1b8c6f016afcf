//! Without DigitalOcean's OpenAPI description, `DoApi` hands out the double's own URL (and says so on
//! stderr). A test binary of its own: the choice is made once per process.

use infra_testkit::digitalocean::DoApi;

#[test]
fn falls_back_to_the_double_when_the_description_is_absent() {
    // SAFETY: the only test of this binary; nothing else reads the environment concurrently.
    unsafe { std::env::set_var("INFRA_DO_OPENAPI", "/nonexistent/digitalocean-v2.json") };
    let a = DoApi::start();
    let b = DoApi::start();
    assert!(!a.validated);
    assert_eq!(a.api_endpoint, a.double_url);
    assert_ne!(a.token, b.token, "every test gets a token of its own");
    let control = a.control();
    assert!(control.requests().is_empty(), "the double answers its control surface");
    let env: std::collections::HashMap<_, _> = a.env().into_iter().collect();
    assert_eq!(env["DIGITALOCEAN_API_URL"], a.double_url);
    assert_eq!(env["DIGITALOCEAN_TOKEN"], a.token);
}
