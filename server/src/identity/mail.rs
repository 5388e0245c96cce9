//! What the identity feature sends, in English, Vietnamese and Chinese.

use crate::delivery::{Locale, Localized, Mail, Sms};

pub const CODE_SUBJECT: Localized = Localized {
    en: "{code} is your {tenant} code",
    vi: "{code} là mã {tenant} của bạn",
    zh: "{code} 是您的 {tenant} 验证码",
};

/// What the code is for, in a sentence.
pub fn code_purpose(purpose: crate::authn::codes::Purpose) -> Localized {
    use crate::authn::codes::Purpose::*;
    match purpose {
        Register => Localized {
            en: "to finish signing up",
            vi: "để hoàn tất đăng ký",
            zh: "以完成注册",
        },
        SignIn => Localized {
            en: "to sign in",
            vi: "để đăng nhập",
            zh: "以登录",
        },
        Verify | PasswordReset => Localized {
            en: "to confirm this address",
            vi: "để xác nhận địa chỉ này",
            zh: "以确认此地址",
        },
    }
}

const CODE_MAIL: Localized = Localized {
    en: "Your {tenant} code {purpose} is:

    {code}

It works once, for {minutes} minutes. Never share it: {tenant} staff will never ask for it. If you did not ask for it, ignore this mail.
",
    vi: "Mã {tenant} của bạn {purpose} là:

    {code}

Mã chỉ dùng được một lần, trong {minutes} phút. Không chia sẻ mã này với bất kỳ ai. Nếu bạn không yêu cầu mã, hãy bỏ qua thư này.
",
    zh: "您{purpose}的 {tenant} 验证码是：

    {code}

验证码只能使用一次，{minutes} 分钟内有效。请勿告诉任何人。如果您没有请求验证码，请忽略本邮件。
",
};

const CODE_SMS: Localized = Localized {
    en: "{code} is your {tenant} code {purpose}. Valid {minutes} min. Do not share it.",
    vi: "{code} là mã {tenant} {purpose}. Hiệu lực {minutes} phút. Không chia sẻ mã.",
    zh: "{code} 是您{purpose}的 {tenant} 验证码，{minutes} 分钟内有效，请勿泄露。",
};

const REGISTERED_SUBJECT: Localized = Localized {
    en: "You already have a {tenant} account",
    vi: "Bạn đã có tài khoản {tenant}",
    zh: "您已有 {tenant} 账户",
};

const REGISTERED_MAIL: Localized = Localized {
    en: "Someone asked to sign up to {tenant} with this address, which already has an account. Sign in instead, or reset your password if you forgot it. If it was not you, ignore this mail.
",
    vi: "Có người yêu cầu đăng ký {tenant} bằng địa chỉ này, nhưng địa chỉ đã có tài khoản. Hãy đăng nhập, hoặc đặt lại mật khẩu nếu bạn quên. Nếu không phải bạn, hãy bỏ qua thư này.
",
    zh: "有人请求使用此地址注册 {tenant}，但该地址已有账户。请直接登录；如果忘记密码，可以重置密码。如果不是您本人操作，请忽略本邮件。
",
};

const REGISTERED_SMS: Localized = Localized {
    en: "This number already has a {tenant} account: sign in instead.",
    vi: "Số này đã có tài khoản {tenant}: hãy đăng nhập.",
    zh: "此号码已有 {tenant} 账户，请直接登录。",
};

const RESET_SUBJECT: Localized = Localized {
    en: "Reset your {tenant} password",
    vi: "Đặt lại mật khẩu {tenant}",
    zh: "重置您的 {tenant} 密码",
};

const RESET_MAIL: Localized = Localized {
    en: "Hello {name},

Open this link to choose a new password for {tenant}:

{url}

It works once, until {expires} (UTC). Every device signed in to your account will be signed out. If you did not ask for this, ignore this mail: your password stays as it is.
",
    vi: "Xin chào {name},

Mở liên kết sau để đặt mật khẩu mới cho {tenant}:

{url}

Liên kết chỉ dùng được một lần, đến {expires} (UTC). Mọi thiết bị đang đăng nhập tài khoản của bạn sẽ bị đăng xuất. Nếu bạn không yêu cầu, hãy bỏ qua thư này: mật khẩu của bạn không đổi.
",
    zh: "{name}，您好：

请打开以下链接为 {tenant} 设置新密码：

{url}

该链接只能使用一次，有效期至 {expires}（UTC）。所有已登录您账户的设备都将被登出。如果不是您本人请求，请忽略本邮件，您的密码不会改变。
",
};

fn minutes(ttl_secs: i64) -> String {
    (ttl_secs / 60).max(1).to_string()
}

pub fn code_mail(
    l: Locale,
    to: &str,
    tenant: &str,
    code: &str,
    purpose: crate::authn::codes::Purpose,
    ttl_secs: i64,
) -> Mail {
    let p = code_purpose(purpose).render(l, &[]);
    let m = minutes(ttl_secs);
    let v = [
        ("tenant", tenant),
        ("code", code),
        ("purpose", p.as_str()),
        ("minutes", m.as_str()),
    ];
    Mail {
        to: to.to_string(),
        subject: CODE_SUBJECT.render(l, &v),
        text: CODE_MAIL.render(l, &v),
    }
}

pub fn code_sms(
    l: Locale,
    to: &str,
    tenant: &str,
    code: &str,
    purpose: crate::authn::codes::Purpose,
    ttl_secs: i64,
) -> Sms {
    let p = code_purpose(purpose).render(l, &[]);
    let m = minutes(ttl_secs);
    Sms {
        to: to.to_string(),
        text: CODE_SMS.render(
            l,
            &[
                ("tenant", tenant),
                ("code", code),
                ("purpose", p.as_str()),
                ("minutes", m.as_str()),
            ],
        ),
    }
}

pub fn already_registered_mail(l: Locale, to: &str, tenant: &str) -> Mail {
    let v = [("tenant", tenant)];
    Mail {
        to: to.to_string(),
        subject: REGISTERED_SUBJECT.render(l, &v),
        text: REGISTERED_MAIL.render(l, &v),
    }
}

pub fn already_registered_sms(l: Locale, to: &str, tenant: &str) -> Sms {
    Sms {
        to: to.to_string(),
        text: REGISTERED_SMS.render(l, &[("tenant", tenant)]),
    }
}

pub fn reset_mail(l: Locale, to: &str, name: &str, tenant: &str, url: &str, expires: &str) -> Mail {
    let v = [
        ("tenant", tenant),
        ("name", name),
        ("url", url),
        ("expires", expires),
    ];
    Mail {
        to: to.to_string(),
        subject: RESET_SUBJECT.render(l, &v),
        text: RESET_MAIL.render(l, &v),
    }
}
