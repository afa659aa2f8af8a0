//! Finds the line of a dotted key in TOML text, for error messages about values that parsed but
//! are not allowed.

/// The 1-based line that defines `field` (a dotted path such as `"sensor.noise_std"`, or
/// `"cases.1.angle"` for the second `[[cases]]` entry), if it can be found.
///
/// This is a line scanner, not a full TOML parser: it understands `[table]`, `[[array]]` headers
/// and `key = value` lines, which is what scenario files use; inline tables are located by their
/// parent key.
pub fn locate_key(text: &str, field: &str) -> Option<usize> {
    let parts: Vec<&str> = field.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut current: Vec<String> = Vec::new();
    let mut array_counts: std::collections::BTreeMap<String, usize> = Default::default();
    let mut fallback = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with("[[") {
            let name = line
                .trim_start_matches("[[")
                .split("]]")
                .next()?
                .trim()
                .to_string();
            let n = array_counts.entry(name.clone()).or_insert(0);
            current = name.split('.').map(str::to_string).collect();
            current.push(n.to_string());
            *n += 1;
        } else if line.starts_with('[') {
            let name = line.trim_start_matches('[').split(']').next()?.trim();
            current = name.split('.').map(|s| s.trim().to_string()).collect();
        } else if let Some((k, _)) = line.split_once('=') {
            let k = k.trim().trim_matches('"');
            let mut path = current.clone();
            path.extend(k.split('.').map(|s| s.trim().to_string()));
            if path.len() == parts.len() && path.iter().zip(&parts).all(|(a, b)| a == b) {
                return Some(i + 1);
            }
            // an inline table or array holding the field: remember the parent key's line
            if fallback.is_none()
                && path.len() < parts.len()
                && path.iter().zip(&parts).all(|(a, b)| a == b)
            {
                fallback = Some(i + 1);
            }
        }
    }
    fallback
}

#[cfg(test)]
mod tests {
    use super::locate_key;

    #[test]
    fn finds_tables_arrays_and_dotted_keys() {
        let text = "[scenario]\nkind = \"x\"\n\n[sensor]\nnoise_std = 1\n\n[[cases]]\na = 1\n[[cases]]\na = 2\n[world]\nsize = { w = 1, h = 2 }\n";
        assert_eq!(locate_key(text, "scenario.kind"), Some(2));
        assert_eq!(locate_key(text, "sensor.noise_std"), Some(5));
        assert_eq!(locate_key(text, "cases.1.a"), Some(10));
        assert_eq!(locate_key(text, "world.size.h"), Some(12));
        assert_eq!(locate_key(text, "world.missing"), None);
    }
}
