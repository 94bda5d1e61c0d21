//! Row and value helpers shared by the aggregates: errors, JSON columns, typed reads, pages.

use cognate_core::store::Page;
use cognate_core::{Error, Result};
use sqlx::any::AnyRow;
use sqlx::Row;

pub(crate) fn db_error(e: sqlx::Error) -> Error {
    Error::caused_by("database")(e)
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// The largest character: `prefix ‖ MAX` is above every string that starts with `prefix`.
pub(crate) const MAX_CHAR: char = '\u{10FFFF}';

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(Error::caused_by("encoding a stored document"))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(Error::caused_by("stored document"))
}

pub(crate) fn get<'r, T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>>(
    row: &'r AnyRow,
    column: &str,
) -> Result<T> {
    row.try_get(column).map_err(db_error)
}

pub(crate) fn placeholders(start: usize, count: usize) -> String {
    (start..start + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Cuts the extra row fetched to learn whether there is a next page.
pub(crate) fn page<T>(items: &mut Vec<T>, limit: u32, key: impl Fn(&T) -> String) -> Page<T> {
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next = if more { items.last().map(key) } else { None };
    Page {
        items: std::mem::take(items),
        next,
    }
}
