//! A minimal JSON reader for the flat credential documents of the chain (instance metadata,
//! container endpoints, `credential_process` output): one object whose members we read as
//! strings, numbers or booleans; nested values are parsed and ignored.
//!
//! Errors say where the document went wrong, never what it contained: these documents
//! hold secrets.

/// A member value we care about; nested arrays and objects become [`Value::Nested`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A string, unescaped.
    String(String),
    /// A number, as written.
    Number(String),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An array or object (skipped).
    Nested,
}

/// The members of a top-level JSON object, in document order.
#[derive(Debug, Default)]
pub(crate) struct Object {
    members: Vec<(String, Value)>,
}

impl Object {
    /// Parses `text`, which must be one JSON object (surrounding whitespace allowed).
    ///
    /// The error is a short description with a byte offset, without any content.
    pub(crate) fn parse(text: &[u8]) -> Result<Self, String> {
        let mut p = Parser { s: text, i: 0 };
        p.ws();
        if p.peek() != Some(b'{') {
            return Err(p.fail("expected a JSON object"));
        }
        let mut members = Vec::new();
        p.i += 1;
        p.ws();
        if p.peek() == Some(b'}') {
            p.i += 1;
        } else {
            loop {
                p.ws();
                let key = p.string()?;
                p.ws();
                p.expect(b':')?;
                let value = p.value(1)?;
                members.push((key, value));
                p.ws();
                match p.next() {
                    Some(b',') => {}
                    Some(b'}') => break,
                    _ => return Err(p.fail("expected ',' or '}'")),
                }
            }
        }
        p.ws();
        if p.i != p.s.len() {
            return Err(p.fail("unexpected data after the object"));
        }
        Ok(Self { members })
    }

    /// The value of member `key` (the last one if repeated).
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.members
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The string value of member `key`; `None` if absent or `null`, an error if it has
    /// another type.
    pub(crate) fn string(&self, key: &str) -> Result<Option<&str>, String> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("member {key} is not a string")),
        }
    }
}

/// Nesting deeper than this is refused (guards the stack against hostile documents).
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn fail(&self, what: &str) -> String {
        format!("{what} at byte {}", self.i)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.next() == Some(b) {
            Ok(())
        } else {
            self.i = self.i.saturating_sub(1);
            Err(self.fail(&format!("expected '{}'", char::from(b))))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(self.fail("JSON nested too deeply"));
        }
        self.ws();
        match self.peek() {
            Some(b'"') => self.string().map(Value::String),
            Some(b'{') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Value::Nested);
                }
                loop {
                    self.ws();
                    self.string()?;
                    self.ws();
                    self.expect(b':')?;
                    self.value(depth + 1)?;
                    self.ws();
                    match self.next() {
                        Some(b',') => {}
                        Some(b'}') => return Ok(Value::Nested),
                        _ => return Err(self.fail("expected ',' or '}'")),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Value::Nested);
                }
                loop {
                    self.value(depth + 1)?;
                    self.ws();
                    match self.next() {
                        Some(b',') => {}
                        Some(b']') => return Ok(Value::Nested),
                        _ => return Err(self.fail("expected ',' or ']'")),
                    }
                }
            }
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.fail("expected a JSON value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(value)
        } else {
            Err(self.fail("expected a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let from = p.i;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.i += 1;
            }
            p.i > from
        };
        if !digits(self) {
            return Err(self.fail("invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !digits(self) {
                return Err(self.fail("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return Err(self.fail("invalid number"));
            }
        }
        // Only ASCII digits and signs were consumed.
        let text = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        Ok(Value::Number(text))
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.next() {
                None => return Err(self.fail("unterminated string")),
                Some(b'"') => break,
                Some(b'\\') => match self.next() {
                    Some(b'"') => out.push(b'"'),
                    Some(b'\\') => out.push(b'\\'),
                    Some(b'/') => out.push(b'/'),
                    Some(b'b') => out.push(0x08),
                    Some(b'f') => out.push(0x0c),
                    Some(b'n') => out.push(b'\n'),
                    Some(b'r') => out.push(b'\r'),
                    Some(b't') => out.push(b'\t'),
                    Some(b'u') => {
                        let c = self.unicode_escape()?;
                        let mut buf = [0; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    _ => return Err(self.fail("invalid escape in string")),
                },
                Some(b) if b < 0x20 => return Err(self.fail("control character in string")),
                Some(b) => out.push(b),
            }
        }
        String::from_utf8(out).map_err(|_| self.fail("string is not UTF-8"))
    }

    /// The character of a `\uXXXX` escape (the `\u` already read), joining surrogate pairs.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let high = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&high) {
            if self.next() != Some(b'\\') || self.next() != Some(b'u') {
                return Err(self.fail("unpaired surrogate in string"));
            }
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err(self.fail("unpaired surrogate in string"));
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
            high
        };
        char::from_u32(code).ok_or_else(|| self.fail("invalid \\u escape"))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .s
            .get(self.i..self.i + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.fail("invalid \\u escape"))?;
        self.i += 4;
        Ok(digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_object_with_every_kind_of_value() {
        let doc = br#" {"Code":"Success","Version":1,"Neg":-1.5e3,"Ok":true,"No":false,
            "Nothing":null,"Nested":{"a":[1,{"b":[]}],"c":{}},"Esc":"a\"b\\c\/d\n\u00e9\ud83d\ude00"} "#;
        let obj = Object::parse(doc).unwrap();
        assert_eq!(obj.string("Code").unwrap(), Some("Success"));
        assert_eq!(obj.get("Version"), Some(&Value::Number("1".into())));
        assert_eq!(obj.get("Neg"), Some(&Value::Number("-1.5e3".into())));
        assert_eq!(obj.get("Ok"), Some(&Value::Bool(true)));
        assert_eq!(obj.get("No"), Some(&Value::Bool(false)));
        assert_eq!(obj.string("Nothing").unwrap(), None);
        assert_eq!(obj.get("Nested"), Some(&Value::Nested));
        assert_eq!(obj.string("Esc").unwrap(), Some("a\"b\\c/d\né😀"));
        assert_eq!(obj.string("Missing").unwrap(), None);
        assert!(obj.string("Version").is_err());
        assert!(Object::parse(b"{}").unwrap().get("x").is_none());
    }

    #[test]
    fn malformed_documents_are_errors_without_content() {
        for bad in [
            &b""[..],
            b"[]",
            b"\"s\"",
            b"{",
            b"{\"a\"}",
            b"{\"a\":}",
            b"{\"a\":1,}",
            b"{\"a\":\"secret-value}",
            b"{\"a\":tru}",
            b"{\"a\":01x}",
            b"{\"a\":-}",
            b"{\"a\":\"\\x\"}",
            b"{\"a\":\"\\ud800\"}",
            b"{\"a\":\"\x01\"}",
            b"{\"a\":1} trailing-secret",
            b"{\"a\":[1 2]}",
        ] {
            let err = Object::parse(bad).unwrap_err();
            assert!(err.contains("at byte"), "{err}");
            assert!(!err.contains("secret"), "{err}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100), "]".repeat(100));
        assert!(Object::parse(deep.as_bytes()).is_err());
    }
}
