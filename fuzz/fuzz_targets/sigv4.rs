//! SigV4 `Authorization` headers, `X-Amz-Date` values and the signed request around them:
//! parsing and verification never panic, whatever the header, path, query and other headers.
#![no_main]

use cognate_core::sigv4::{self, Authorization, SignedRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    // Fields separated by newlines: authorization, x-amz-date, path, query, then headers.
    let mut fields = raw.split('\n');
    let header = fields.next().unwrap_or_default();
    let date = fields.next().unwrap_or_default();
    let path = fields.next().unwrap_or("/");
    let query = fields.next().unwrap_or_default();
    let mut headers: Vec<(String, String)> = fields
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
        .collect();
    headers.push(("x-amz-date".into(), date.into()));
    let _ = sigv4::parse_amz_date(date);
    let Ok(authorization) = Authorization::parse(header) else {
        return;
    };
    let request = SignedRequest {
        method: "POST",
        path,
        query,
        headers: &headers,
        body: raw.as_bytes(),
    };
    let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let _ = sigv4::verify(&request, &authorization, "secret", now);
});
