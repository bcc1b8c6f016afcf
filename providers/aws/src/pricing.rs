//! The AWS Price List Query API (`GetProducts`), read by `infra cost refresh-prices`.
//!
//! One query is a service code and `TERM_MATCH` filters; the answer is paginated (`NextToken`) and each item
//! of its `PriceList` is a JSON document written as a string, returned here parsed.

use crate::client::AwsClient;
use crate::errors::aws_err;
use async_trait::async_trait;
use aws_sdk_pricing::types::{Filter, FilterType};
use infra_provider::{PriceList, PriceQuery, ProviderError, Result};

/// The Price List API behind a configured client (always in us-east-1, which serves every region's prices).
pub struct PriceListApi {
    client: AwsClient,
}

impl PriceListApi {
    pub fn new(client: AwsClient) -> PriceListApi {
        PriceListApi { client }
    }
}

/// Most products one `GetProducts` page holds.
const PAGE_SIZE: i32 = 100;

#[async_trait]
impl PriceList for PriceListApi {
    async fn products(&self, query: &PriceQuery) -> Result<Vec<serde_json::Value>> {
        let mut filters = Vec::with_capacity(query.filters.len());
        for (field, value) in &query.filters {
            filters.push(
                Filter::builder()
                    .r#type(FilterType::TermMatch)
                    .field(field)
                    .value(value)
                    .build()
                    .map_err(|e| ProviderError::invalid(format!("Price List filter {field}: {e}")))?,
            );
        }
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .pricing()
                .get_products()
                .service_code(&query.service)
                .set_filters(Some(filters.clone()))
                .format_version("aws_v1")
                .max_results(PAGE_SIZE)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(aws_err(format!("reading the {} price list", query.service)))?;
            for (i, item) in page.price_list().iter().enumerate() {
                let doc = serde_json::from_str(item).map_err(|e| {
                    ProviderError::new(format!(
                        "the {} price list's item {i} is not a JSON document: {e}",
                        query.service
                    ))
                })?;
                out.push(doc);
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }
}
