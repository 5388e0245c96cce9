//! The invitation mail, in the person's language.

use crate::delivery::{Locale, Localized, Mail};

const SUBJECT: Localized = Localized {
    en: "You are invited to {tenant} on Stoa",
    vi: "Bạn được mời tham gia {tenant} trên Stoa",
    zh: "您受邀加入 Stoa 上的 {tenant}",
};

const TEXT: Localized = Localized {
    en: "Hello {name},

{inviter} invited you to {tenant} on Stoa. Open this link to choose your password and sign in:

{url}

The link works once and expires on {expires} (UTC). If you did not expect this invitation, ignore this mail.
",
    vi: "Xin chào {name},

{inviter} đã mời bạn tham gia {tenant} trên Stoa. Mở liên kết sau để đặt mật khẩu và đăng nhập:

{url}

Liên kết chỉ dùng được một lần và hết hạn lúc {expires} (UTC). Nếu bạn không chờ lời mời này, hãy bỏ qua thư.
",
    zh: "{name}，您好：

{inviter} 邀请您加入 Stoa 上的 {tenant}。请打开以下链接设置密码并登录：

{url}

该链接只能使用一次，将于 {expires}（UTC）失效。如果您没有预期收到此邀请，请忽略本邮件。
",
};

/// The invitation mail to `to`.
pub struct Invite<'a> {
    pub to: &'a str,
    pub name: &'a str,
    pub inviter: &'a str,
    pub tenant: &'a str,
    pub url: &'a str,
    pub expires: &'a str,
}

pub fn invitation(locale: Locale, i: &Invite<'_>) -> Mail {
    let values = [
        ("name", i.name),
        ("inviter", i.inviter),
        ("tenant", i.tenant),
        ("url", i.url),
        ("expires", i.expires),
    ];
    Mail {
        to: i.to.to_string(),
        subject: SUBJECT.render(locale, &values),
        text: TEXT.render(locale, &values),
    }
}
