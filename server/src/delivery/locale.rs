//! The languages Stoa writes to people in (English, Vietnamese, Chinese) and texts in all three.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    En,
    Vi,
    Zh,
}

impl Locale {
    pub const ALL: &'static [&'static str] = &["en", "vi", "zh"];

    /// A language tag (`vi`, `vi-VN`, `zh-Hans-CN`, `EN`): its primary language, if supported.
    pub fn parse(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Locale::En),
            "vi" => Some(Locale::Vi),
            "zh" => Some(Locale::Zh),
            _ => None,
        }
    }

    /// The first supported language of an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(f32, Locale)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("");
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(l) = Locale::parse(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, l));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    /// The person's language if they chose one, else the request's, else English.
    pub fn choose(person: Option<&str>, accept_language: Option<&str>) -> Locale {
        person
            .and_then(Locale::parse)
            .or_else(|| accept_language.and_then(Locale::from_accept_language))
            .unwrap_or_default()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Vi => "vi",
            Locale::Zh => "zh",
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One text in every language, with `{name}` placeholders.
#[derive(Debug, Clone, Copy)]
pub struct Localized {
    pub en: &'static str,
    pub vi: &'static str,
    pub zh: &'static str,
}

impl Localized {
    /// The text in `locale` with each `{name}` replaced by its value.
    pub fn render(&self, locale: Locale, values: &[(&str, &str)]) -> String {
        let mut s = match locale {
            Locale::En => self.en,
            Locale::Vi => self.vi,
            Locale::Zh => self.zh,
        }
        .to_string();
        for (k, v) in values {
            s = s.replace(&format!("{{{k}}}"), v);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_best_supported_language() {
        assert_eq!(Locale::parse("vi-VN"), Some(Locale::Vi));
        assert_eq!(Locale::parse("zh_Hans_CN"), Some(Locale::Zh));
        assert_eq!(Locale::parse("fr"), None);
        assert_eq!(
            Locale::from_accept_language("fr-FR, vi;q=0.8, zh;q=0.9"),
            Some(Locale::Zh)
        );
        assert_eq!(Locale::from_accept_language("de, en;q=0"), None);
        assert_eq!(Locale::choose(Some("vi"), Some("zh")), Locale::Vi);
        assert_eq!(Locale::choose(None, Some("zh-TW")), Locale::Zh);
        assert_eq!(Locale::choose(None, None), Locale::En);
    }

    #[test]
    fn renders_placeholders() {
        let t = Localized {
            en: "Code {code} for {tenant}",
            vi: "Mã {code} cho {tenant}",
            zh: "{tenant} 的验证码 {code}",
        };
        assert_eq!(
            t.render(Locale::Zh, &[("code", "123456"), ("tenant", "Acme")]),
            "Acme 的验证码 123456"
        );
    }
}
