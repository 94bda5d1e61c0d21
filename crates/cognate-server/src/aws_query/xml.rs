//! Building Query answers: elements with escaped text, lists as `<member>`s, the response and
//! error envelopes. quick-xml escapes; the shapes are few and fixed, so they are written here.

use std::fmt::Display;

use quick_xml::escape::escape;

#[derive(Default)]
pub(crate) struct Xml {
    body: String,
    /// Whether the operation has an output (`<XResult>`); actions without one answer only the
    /// response metadata.
    has_result: bool,
}

impl Xml {
    pub fn new() -> Self {
        Xml::default()
    }

    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: impl Display) -> &mut Self {
        self.has_result = true;
        self.body.push('<');
        self.body.push_str(name);
        self.body.push('>');
        self.body.push_str(&escape(text.to_string()));
        self.body.push_str("</");
        self.body.push_str(name);
        self.body.push('>');
        self
    }

    pub fn opt_leaf(&mut self, name: &str, text: Option<impl Display>) -> &mut Self {
        if let Some(text) = text {
            self.leaf(name, text);
        }
        self
    }

    /// `<name>…</name>` around what `inner` writes.
    pub fn element(&mut self, name: &str, inner: impl FnOnce(&mut Xml)) -> &mut Self {
        self.has_result = true;
        self.body.push_str(&format!("<{name}>"));
        inner(self);
        self.body.push_str(&format!("</{name}>"));
        self
    }

    /// `<name><member>…</member>…</name>`, one member per item.
    pub fn members<T>(
        &mut self,
        name: &str,
        items: impl IntoIterator<Item = T>,
        mut each: impl FnMut(&mut Xml, T),
    ) -> &mut Self {
        self.element(name, |xml| {
            for item in items {
                xml.element("member", |xml| each(xml, item));
            }
        })
    }

    /// `<name><member>text</member>…</name>`.
    pub fn text_members<T: Display>(
        &mut self,
        name: &str,
        items: impl IntoIterator<Item = T>,
    ) -> &mut Self {
        self.element(name, |xml| {
            for item in items {
                xml.leaf("member", item);
            }
        })
    }

    /// The whole answer to `action`.
    pub fn response(&self, action: &str, namespace: &str, request_id: &str) -> String {
        let result = if self.has_result {
            format!("<{action}Result>{}</{action}Result>", self.body)
        } else {
            String::new()
        };
        format!(
            "<{action}Response xmlns=\"{namespace}\">{result}<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
        )
    }

    pub fn error(
        namespace: &str,
        server_fault: bool,
        code: &str,
        message: &str,
        request_id: &str,
    ) -> String {
        let fault = if server_fault { "Receiver" } else { "Sender" };
        format!(
            "<ErrorResponse xmlns=\"{namespace}\"><Error><Type>{fault}</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            escape(message)
        )
    }
}
