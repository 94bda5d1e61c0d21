//! `cognate status`: what `push` would create, update or delete, and the endpoints.

use std::path::Path;

use super::files::{self, Layout};
use super::{push, ProjectError};

pub fn status(dir: &Path) -> Result<(), ProjectError> {
    let layout = Layout::find(dir)?;
    let env = push::current_env(&layout)?;
    println!("\n    Current Environment: {env}\n");
    let rows = push::status_rows(&layout)?;
    let header = ["Category", "Resource name", "Operation", "Provider plugin"];
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let rule = |left: &str, middle: &str, right: &str| {
        let bars: Vec<String> = widths.iter().map(|w| "─".repeat(w + 2)).collect();
        println!("{left}{}{right}", bars.join(middle));
    };
    let line = |cells: [&str; 4]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!(" {c:<w$} "))
            .collect();
        println!("│{}│", padded.join("│"));
    };
    rule("┌", "┬", "┐");
    line(header);
    rule("├", "┼", "┤");
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3]]);
    }
    rule("└", "┴", "┘");
    if rows.iter().any(|row| row[1] == "AdminQueries") {
        println!(
            "\nNo Function row: the Amplify CLI puts a Lambda function (AdminQueries…) behind the Admin Queries API; cognate serves its routes itself."
        );
    }
    let meta = files::read_value(&layout.amplify_meta())?;
    if let Some(url) = meta["api"]["AdminQueries"]["output"]["RootUrl"].as_str() {
        println!("\nREST API endpoint: {url}");
    }
    for (name, api) in meta["api"].as_object().into_iter().flatten() {
        if name != "AdminQueries" {
            if let Some(url) = api["output"]["RootUrl"].as_str() {
                println!("REST API endpoint ({name}): {url}");
            }
        }
    }
    if let Some(endpoint) = push::recorded_endpoint(&layout, &env)?.or_else(|| {
        meta["providers"]["cognate"]["Endpoint"]
            .as_str()
            .map(str::to_owned)
    }) {
        println!("Cognito endpoint: {endpoint} (where `cognate push` goes)");
    }
    Ok(())
}
