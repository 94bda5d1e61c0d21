//! The Amplify CLI's two word orders (`amplify update auth` and `amplify auth update`), and a
//! sentence for the category commands cognate does not have yet, before clap parses anything.

/// The Amplify CLI's categories.
const CATEGORIES: &[&str] = &[
    "auth",
    "storage",
    "api",
    "function",
    "hosting",
    "analytics",
    "notifications",
    "interactions",
    "predictions",
    "geo",
    "custom",
];

/// The verbs that take a category.
const VERBS: &[&str] = &["add", "update", "remove", "console", "import", "override"];

/// The category commands cognate has.
const BUILT: &[(&str, &str)] = &[
    ("add", "auth"),
    ("update", "auth"),
    ("add", "storage"),
    ("update", "storage"),
    ("remove", "storage"),
    ("add", "api"),
    ("update", "api"),
    ("remove", "api"),
];

/// What to run for `args` (the program name first): the arguments in `verb category` order, or
/// the sentence for a command that is not built.
pub fn normalize(mut args: Vec<String>) -> Result<Vec<String>, String> {
    let word = |args: &[String], i: usize| args.get(i).cloned().unwrap_or_default();
    let (first, second) = (word(&args, 1), word(&args, 2));
    if CATEGORIES.contains(&first.as_str()) {
        if !VERBS.contains(&second.as_str()) {
            return Err(format!(
                "`cognate {first} {second}`: a category takes one of {}, as in `cognate {first} add`.",
                VERBS.join(", ")
            ));
        }
        args.swap(1, 2);
    }
    let (verb, category) = (word(&args, 1), word(&args, 2));
    let names_category = CATEGORIES.contains(&category.as_str());
    if verb == "console" {
        return Err(not_built(format!("{verb} {category}").trim()));
    }
    if VERBS.contains(&verb.as_str())
        && names_category
        && !BUILT.contains(&(verb.as_str(), category.as_str()))
    {
        return Err(not_built(&format!("{verb} {category}")));
    }
    Ok(args)
}

fn not_built(command: &str) -> String {
    let built: Vec<String> = BUILT.iter().map(|(v, c)| format!("`{v} {c}`")).collect();
    format!(
        "`cognate {command}` is not built yet. The project commands cognate has are `init`, {}, `status` and `push`.",
        built.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn both_word_orders_name_the_same_command() {
        assert_eq!(
            normalize(args("cognate auth update --groups admin")).unwrap(),
            args("cognate update auth --groups admin")
        );
        assert_eq!(
            normalize(args("cognate update auth")).unwrap(),
            args("cognate update auth")
        );
        assert_eq!(
            normalize(args("cognate storage add --bucket-name b")).unwrap(),
            args("cognate add storage --bucket-name b")
        );
        assert_eq!(
            normalize(args("cognate push --yes")).unwrap(),
            args("cognate push --yes")
        );
    }

    #[test]
    fn commands_not_built_get_a_sentence() {
        for line in [
            "cognate add function",
            "cognate auth console",
            "cognate console",
            "cognate remove auth",
        ] {
            let message = normalize(args(line)).unwrap_err();
            assert!(message.contains("is not built yet"), "{line}: {message}");
        }
    }
}
