//! Wildcard matching as IAM does it: `*` matches any run of characters (including `/`), `?`
//! exactly one character, everything else itself. A pattern is compiled once into [`Piece`]s;
//! text substituted from a policy variable becomes literal pieces, so its own `*` and `?` are
//! not wildcards.

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Byte(u8),
    One,
    Many,
}

/// Compiles `text`, where `*` and `?` are wildcards. `lowercase` folds ASCII letters, for
/// patterns matched case-insensitively.
pub(crate) fn compile_glob(text: &str, lowercase: bool) -> Vec<Piece> {
    let mut pieces = Vec::with_capacity(text.len());
    push_glob(&mut pieces, text, lowercase);
    pieces
}

pub(crate) fn push_glob(pieces: &mut Vec<Piece>, text: &str, lowercase: bool) {
    for b in text.bytes() {
        pieces.push(match b {
            b'*' => Piece::Many,
            b'?' => Piece::One,
            _ if lowercase => Piece::Byte(b.to_ascii_lowercase()),
            _ => Piece::Byte(b),
        });
    }
}

pub(crate) fn push_literal(pieces: &mut Vec<Piece>, text: &str, lowercase: bool) {
    pieces.extend(
        text.bytes()
            .map(|b| Piece::Byte(if lowercase { b.to_ascii_lowercase() } else { b })),
    );
}

/// Length of the UTF-8 character that starts with `lead`.
fn char_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Matches `text` against `pattern`; with `fold_case`, ASCII letters of the text are compared
/// lowercased (the pattern must have been compiled lowercased).
pub(crate) fn glob_match(pattern: &[Piece], text: &str, fold_case: bool) -> bool {
    let text = text.as_bytes();
    let (mut p, mut t) = (0, 0);
    // The last `*` seen and the text position it currently stands for: greedy matching with
    // one backtrack point is enough for patterns whose only wildcard of length is `*`.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if let Some(piece) = pattern.get(p) {
            match piece {
                Piece::Many => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                Piece::One => {
                    t += char_len(text[t]);
                    p += 1;
                    continue;
                }
                Piece::Byte(b) => {
                    let c = if fold_case {
                        text[t].to_ascii_lowercase()
                    } else {
                        text[t]
                    };
                    if *b == c {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((star_p, star_t)) => {
                let next = star_t + char_len(text[star_t]);
                star = Some((star_p, next));
                p = star_p + 1;
                t = next;
            }
            None => return false,
        }
    }
    pattern[p.min(pattern.len())..]
        .iter()
        .all(|piece| *piece == Piece::Many)
}

/// ARN matching: each of the six colon-separated segments is matched on its own (the last one
/// keeps any further colons), so a `*` does not run from the region into the account. A
/// pattern that is not ARN-shaped (fewer segments than the resource) is matched as a whole.
pub(crate) fn arn_like(pattern: &[Piece], resource: &str) -> bool {
    if pattern == [Piece::Many] {
        return true;
    }
    let mut pattern_segments: Vec<&[Piece]> = Vec::with_capacity(6);
    let mut start = 0;
    for (i, piece) in pattern.iter().enumerate() {
        if pattern_segments.len() == 5 {
            break;
        }
        if *piece == Piece::Byte(b':') {
            pattern_segments.push(&pattern[start..i]);
            start = i + 1;
        }
    }
    pattern_segments.push(&pattern[start..]);
    let resource_segments: Vec<&str> = resource.splitn(6, ':').collect();
    if pattern_segments.len() != resource_segments.len() {
        return glob_match(pattern, resource, false);
    }
    pattern_segments
        .iter()
        .zip(&resource_segments)
        .all(|(pattern, segment)| glob_match(pattern, segment, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        glob_match(&compile_glob(pattern, false), text, false)
    }

    #[test]
    fn star_spans_slashes_and_question_mark_is_one_character() {
        assert!(matches("bucket/*/test/*", "bucket/1/2/test/3/object.jpg"));
        assert!(!matches("bucket/*/test/*", "bucket/1-test/object.jpg"));
        assert!(matches("a?c", "abc"));
        assert!(matches("a?c", "aéc"));
        assert!(!matches("a?c", "ac"));
        assert!(matches("*", ""));
        assert!(!matches("a", ""));
        assert!(matches("**a", "xxa"));
    }

    #[test]
    fn case_folding_is_opt_in() {
        let pattern = compile_glob("iam:*AccessKey*", true);
        assert!(glob_match(&pattern, "IAM:listaccesskeys", true));
        assert!(!matches("Bucket", "bucket"));
    }

    #[test]
    fn arn_segments_are_matched_one_by_one() {
        let pattern = compile_glob("arn:aws:s3:::bucket/*", false);
        assert!(arn_like(&pattern, "arn:aws:s3:::bucket/a:b/c"));
        let pattern = compile_glob("arn:aws:cognito-idp:*:*:userpool/*", false);
        assert!(arn_like(
            &pattern,
            "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_abc"
        ));
        // A pattern with fewer segments is matched whole: its `*` crosses colons.
        assert!(arn_like(
            &compile_glob("arn:aws:*", false),
            "arn:aws:s3:::b"
        ));
    }
}
