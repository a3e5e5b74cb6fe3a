//! Filling the `@NAME` placeholders of the templates.

/// Replaces each placeholder by its value, in the order given, so that a
/// placeholder that is a prefix of another (`@M` of `@MODEL`) comes last.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut text = template.to_string();
    for (placeholder, value) in values {
        text = text.replace(placeholder, value);
    }
    text
}
