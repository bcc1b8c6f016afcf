//! `do-double [ADDR]`: serves the DigitalOcean API test double on ADDR (default 127.0.0.1:4010) until
//! interrupted, printing the address it listens on.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:4010".to_string());
    let double = do_double::DoDouble::start(&addr).await?;
    println!("do-double listening on {}", double.url());
    let _ = tokio::signal::ctrl_c().await;
    Ok(())
}
