//! Macros: `macdef NAME` (the lines up to an empty line), `macdef` entries
//! of `.netrc` (the one called `init` runs after login), and `$ NAME
//! [args...]`, which runs one.
//!
//! Expansion follows tnftp: `$1` to `$9` are the arguments, `$i` makes the
//! macro run once per argument with `$i` standing for it, and `\$` is a
//! literal `$`. This module holds and expands the text; the shell runs the
//! lines.

/// The macros defined so far, in definition order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Macros {
    defined: Vec<(String, Vec<String>)>,
}

impl Macros {
    /// Defines (or redefines) `name` as `lines`.
    pub fn define(&mut self, name: &str, lines: Vec<String>) {
        self.defined.retain(|(known, _)| known != name);
        self.defined.push((name.to_string(), lines));
    }

    /// The names defined, for `macdef` without arguments and `status`.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.defined.iter().map(|(name, _)| name.as_str())
    }

    /// The command lines `$ name args...` runs, or `None` for an unknown macro.
    ///
    /// ```
    /// use ftp_client::shell::macros::Macros;
    ///
    /// let mut macros = Macros::default();
    /// macros.define("fetch", vec!["cd $1".into(), "get $i".into()]);
    /// let lines = macros.expand("fetch", &["pub".into(), "a".into()]).expect("defined");
    /// assert_eq!(lines, ["cd pub", "get pub", "cd pub", "get a"]);
    /// ```
    pub fn expand(&self, name: &str, args: &[String]) -> Option<Vec<String>> {
        let (_, body) = self.defined.iter().find(|(known, _)| known == name)?;
        let looped = body.iter().any(|line| line.contains("$i"));
        let rounds: Vec<Option<&str>> = if looped {
            args.iter().map(|arg| Some(arg.as_str())).collect()
        } else {
            vec![None]
        };
        Some(
            rounds
                .into_iter()
                .flat_map(|each| body.iter().map(move |line| substitute(line, args, each)))
                .collect(),
        )
    }
}

/// One line with `$1`..`$9`, `$i` and `\$` replaced.
fn substitute(line: &str, args: &[String], each: Option<&str>) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().copied()) {
            ('\\', Some('$')) => {
                out.push('$');
                chars.next();
            }
            ('$', Some('i')) => {
                out.push_str(each.unwrap_or(""));
                chars.next();
            }
            ('$', Some(digit @ '1'..='9')) => {
                let index = digit as usize - '1' as usize;
                out.push_str(args.get(index).map_or("", String::as_str));
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| word.to_string()).collect()
    }

    #[test]
    fn arguments_replace_their_numbers() {
        let mut macros = Macros::default();
        macros.define("m", vec!["get $2 $1 \\$1 $9 $x".into()]);
        assert_eq!(
            macros.expand("m", &args(&["a", "b"])).expect("defined"),
            ["get b a $1  $x"]
        );
        assert_eq!(macros.expand("other", &[]), None);
    }

    #[test]
    fn a_macro_with_dollar_i_runs_once_per_argument() {
        let mut macros = Macros::default();
        macros.define("each", vec!["size $i".into()]);
        assert_eq!(
            macros.expand("each", &args(&["x", "y"])).expect("defined"),
            ["size x", "size y"]
        );
        assert!(macros.expand("each", &[]).expect("defined").is_empty());
    }

    #[test]
    fn redefining_replaces() {
        let mut macros = Macros::default();
        macros.define("m", vec!["pwd".into()]);
        macros.define("m", vec!["ls".into()]);
        assert_eq!(macros.expand("m", &[]).expect("defined"), ["ls"]);
        assert_eq!(macros.names().collect::<Vec<_>>(), ["m"]);
    }
}
