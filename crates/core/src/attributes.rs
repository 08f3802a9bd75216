//! Object attributes: the standard HTTP representation headers plus user metadata.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Deref;

/// A kind of attribute that can be stored with an object.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Attribute {
    /// How the content should be presented (`Content-Disposition`).
    ContentDisposition,
    /// The encoding applied to the content (`Content-Encoding`).
    ContentEncoding,
    /// The language of the content (`Content-Language`).
    ContentLanguage,
    /// The media type of the content (`Content-Type`).
    ContentType,
    /// Caching directives (`Cache-Control`).
    CacheControl,
    /// A user-defined metadata entry with the given key.
    Metadata(Cow<'static, str>),
}

/// The value of an [`Attribute`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttributeValue(Cow<'static, str>);

impl AsRef<str> for AttributeValue {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Deref for AttributeValue {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&'static str> for AttributeValue {
    fn from(value: &'static str) -> Self {
        Self(Cow::Borrowed(value))
    }
}

impl From<String> for AttributeValue {
    fn from(value: String) -> Self {
        Self(Cow::Owned(value))
    }
}

/// The set of attributes of an object.
///
/// ```
/// use ostore_core::{Attribute, Attributes};
/// let mut attrs = Attributes::new();
/// attrs.insert(Attribute::ContentType, "text/plain".into());
/// assert_eq!(attrs.get(&Attribute::ContentType).unwrap().as_ref(), "text/plain");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes(HashMap<Attribute, AttributeValue>);

impl Attributes {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty set with room for `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        Self(HashMap::with_capacity(capacity))
    }

    /// Sets `key` to `value`, returning the previous value if any.
    pub fn insert(&mut self, key: Attribute, value: AttributeValue) -> Option<AttributeValue> {
        self.0.insert(key, value)
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &Attribute) -> Option<&AttributeValue> {
        self.0.get(key)
    }

    /// Removes `key`, returning its value if it was set.
    pub fn remove(&mut self, key: &Attribute) -> Option<AttributeValue> {
        self.0.remove(key)
    }

    /// Iterates over the entries in no particular order.
    pub fn iter(&self) -> AttributesIter<'_> {
        AttributesIter(self.0.iter())
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K, V> FromIterator<(K, V)> for Attributes
where
    K: Into<Attribute>,
    V: Into<AttributeValue>,
{
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = (&'a Attribute, &'a AttributeValue);
    type IntoIter = AttributesIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over the entries of [`Attributes`].
#[derive(Debug)]
pub struct AttributesIter<'a>(std::collections::hash_map::Iter<'a, Attribute, AttributeValue>);

impl<'a> Iterator for AttributesIter<'a> {
    type Item = (&'a Attribute, &'a AttributeValue);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

/// Key-value tags attached to an object, kept URL-encoded as S3 expects them.
///
/// ```
/// use ostore_core::TagSet;
/// let mut tags = TagSet::default();
/// tags.push("project", "a b");
/// tags.push("team", "storage");
/// assert_eq!(tags.encoded(), "project=a%20b&team=storage");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagSet(String);

/// Characters left as-is in a tag key or value: RFC 3986 unreserved.
const TAG_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl TagSet {
    /// Appends a tag.
    pub fn push(&mut self, key: &str, value: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        self.0
            .extend(percent_encoding::utf8_percent_encode(key, TAG_ENCODE));
        self.0.push('=');
        self.0
            .extend(percent_encoding::utf8_percent_encode(value, TAG_ENCODE));
    }

    /// The tags as a URL-encoded query string (`k1=v1&k2=v2`).
    pub fn encoded(&self) -> &str {
        &self.0
    }
}
