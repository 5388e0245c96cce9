//! vCard 4.0 (RFC 6350) of address-book entries: what the reader may see, nothing more.

use super::people::Entry;

/// Escape a text value (RFC 6350 §3.4): backslash, comma, semicolon and newlines.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Append one content line, folded at 75 octets without splitting a character (§3.2).
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// One vCard per entry.
pub fn render(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        line(&mut out, "BEGIN:VCARD");
        line(&mut out, "VERSION:4.0");
        line(&mut out, &format!("UID:urn:uuid:{}", e.id));
        line(&mut out, &format!("FN:{}", escape(&e.display_name)));
        if let Some(d) = e
            .departments
            .iter()
            .find(|d| d.primary)
            .or(e.departments.first())
        {
            // ORG is structured: the units of the path, outermost first.
            let units: Vec<String> = d.path.split('/').map(escape).collect();
            line(&mut out, &format!("ORG:{}", units.join(";")));
        }
        if let Some((_, title)) = &e.position {
            line(&mut out, &format!("TITLE:{}", escape(title)));
        }
        if let Some(email) = &e.email {
            line(&mut out, &format!("EMAIL;TYPE=work:{}", escape(email)));
        }
        if let Some(phone) = &e.phone {
            line(
                &mut out,
                &format!("TEL;VALUE=uri;TYPE=\"work,voice\":tel:{phone}"),
            );
        }
        if let Some((id, name)) = &e.manager {
            line(
                &mut out,
                &format!("RELATED;TYPE=co-worker;VALUE=uri:urn:uuid:{id}"),
            );
            line(&mut out, &format!("NOTE:Manager: {}", escape(name)));
        }
        line(&mut out, "END:VCARD");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::people::Membership;

    #[test]
    fn cards_escape_fold_and_show_what_is_given() {
        let e = Entry {
            id: "0190c0de-0000-7000-8000-000000000001".into(),
            display_name: "Nguyễn Thị Hà; \"Hà\"".into(),
            departments: vec![Membership {
                id: "d".into(),
                name: "North".into(),
                path: "Sales, Asia/North".into(),
                primary: true,
            }],
            position: Some(("p".into(), "Kỹ sư".into())),
            manager: None,
            email: Some("ha@example.test".into()),
            phone: None,
            photo_file_id: None,
        };
        let v = render(&[
            e.clone(),
            Entry {
                display_name: "x".repeat(100),
                ..e
            },
        ]);
        assert!(v.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"));
        assert!(v.contains("FN:Nguyễn Thị Hà\\; \"Hà\"\r\n"));
        assert!(v.contains("ORG:Sales\\, Asia;North\r\n"));
        assert!(v.contains("TITLE:Kỹ sư\r\n"));
        assert!(v.contains("EMAIL;TYPE=work:ha@example.test\r\n"));
        assert!(!v.contains("TEL"));
        assert!(v.lines().all(|l| l.len() <= 76));
        assert!(v.contains("\r\n x"));
        assert_eq!(v.matches("END:VCARD\r\n").count(), 2);
    }
}
