//! ListUsers `Filter` expressions: parsing never panics, and a parsed filter can be applied.
#![no_main]

use cognate_core::filter::UserFilter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    if let Ok(Some(filter)) = UserFilter::parse(raw) {
        let _ = filter.matches(raw);
        let _ = filter.matches("");
    }
});
