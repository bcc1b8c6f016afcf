//! State backends against real services: PostgreSQL on loopback and S3 on moto. Every backend passes the
//! engine's conformance suite (`infra::state::conformance`), plus what is particular to it.

#[cfg(feature = "pg")]
mod pg;
#[cfg(feature = "aws")]
mod s3;
