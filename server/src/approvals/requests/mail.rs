//! The mail a request sends, in the recipient's language: to an approver it reached or whom
//! the submitter reminds, to the submitter when it came back for changes or finished, and to
//! the people copied on it.

use crate::delivery::{Locale, Localized, Mail};

const WAITING_SUBJECT: Localized = Localized {
    en: "Approval needed: {title}",
    vi: "Cần phê duyệt: {title}",
    zh: "待您审批：{title}",
};

const WAITING_TEXT: Localized = Localized {
    en: "Hello {name},

{submitter} submitted \"{title}\" and it now waits for your decision ({node}).

Open Stoa to approve or reject it: {url}
Request: {id}
",
    vi: "Xin chào {name},

{submitter} đã gửi \"{title}\" và yêu cầu đang chờ bạn quyết định ({node}).

Mở Stoa để phê duyệt hoặc từ chối: {url}
Yêu cầu: {id}
",
    zh: "{name}，您好：

{submitter} 提交的“{title}”正在等待您的审批（{node}）。

请打开 Stoa 进行同意或拒绝：{url}
申请编号：{id}
",
};

const APPROVED_SUBJECT: Localized = Localized {
    en: "Approved: {title}",
    vi: "Đã phê duyệt: {title}",
    zh: "已通过：{title}",
};

const REJECTED_SUBJECT: Localized = Localized {
    en: "Rejected: {title}",
    vi: "Bị từ chối: {title}",
    zh: "已拒绝：{title}",
};

const FINISHED_TEXT: Localized = Localized {
    en: "Hello {name},

Your request \"{title}\" was {outcome} by {actor}.

Open Stoa to read its history: {url}
Request: {id}
",
    vi: "Xin chào {name},

Yêu cầu \"{title}\" của bạn đã được {actor} {outcome}.

Mở Stoa để xem lịch sử: {url}
Yêu cầu: {id}
",
    zh: "{name}，您好：

您的申请“{title}”已被 {actor}{outcome}。

请打开 Stoa 查看审批记录：{url}
申请编号：{id}
",
};

const OUTCOME_APPROVED: Localized = Localized {
    en: "approved",
    vi: "phê duyệt",
    zh: "批准",
};

const OUTCOME_REJECTED: Localized = Localized {
    en: "rejected",
    vi: "từ chối",
    zh: "拒绝",
};

const URGED_SUBJECT: Localized = Localized {
    en: "Reminder: approval needed: {title}",
    vi: "Nhắc nhở: cần phê duyệt: {title}",
    zh: "催办：待您审批：{title}",
};

const URGED_TEXT: Localized = Localized {
    en: "Hello {name},

{submitter} reminds you that \"{title}\" waits for your decision ({node}).

Open Stoa to approve or reject it: {url}
Request: {id}
",
    vi: "Xin chào {name},

{submitter} nhắc bạn rằng \"{title}\" đang chờ bạn quyết định ({node}).

Mở Stoa để phê duyệt hoặc từ chối: {url}
Yêu cầu: {id}
",
    zh: "{name}，您好：

{submitter} 提醒您：“{title}”正在等待您的审批（{node}）。

请打开 Stoa 进行同意或拒绝：{url}
申请编号：{id}
",
};

const RETURNED_SUBJECT: Localized = Localized {
    en: "Sent back for changes: {title}",
    vi: "Được trả lại để chỉnh sửa: {title}",
    zh: "已退回修改：{title}",
};

const RETURNED_TEXT: Localized = Localized {
    en: "Hello {name},

{actor} sent your request \"{title}\" back to you for changes.

Open Stoa to edit and resubmit it, or to withdraw it: {url}
Request: {id}
",
    vi: "Xin chào {name},

{actor} đã trả lại yêu cầu \"{title}\" để bạn chỉnh sửa.

Mở Stoa để chỉnh sửa và gửi lại, hoặc rút lại yêu cầu: {url}
Yêu cầu: {id}
",
    zh: "{name}，您好：

{actor} 将您的申请“{title}”退回修改。

请打开 Stoa 修改后重新提交，或撤回申请：{url}
申请编号：{id}
",
};

const COPIED_SUBJECT: Localized = Localized {
    en: "For your information: {title}",
    vi: "Để bạn biết: {title}",
    zh: "抄送：{title}",
};

const COPIED_TEXT: Localized = Localized {
    en: "Hello {name},

{submitter} submitted \"{title}\" and copied you on it.

Open Stoa to read it: {url}
Request: {id}
",
    vi: "Xin chào {name},

{submitter} đã gửi \"{title}\" và đồng gửi cho bạn.

Mở Stoa để xem: {url}
Yêu cầu: {id}
",
    zh: "{name}，您好：

{submitter} 提交了“{title}”，并抄送给您。

请打开 Stoa 查看：{url}
申请编号：{id}
",
};

const COPIED_FINISHED_TEXT: Localized = Localized {
    en: "Hello {name},

\"{title}\", submitted by {submitter}, was {outcome} by {actor}. You are copied on it.

Open Stoa to read its history: {url}
Request: {id}
",
    vi: "Xin chào {name},

\"{title}\" do {submitter} gửi đã được {actor} {outcome}. Bạn được đồng gửi yêu cầu này.

Mở Stoa để xem lịch sử: {url}
Yêu cầu: {id}
",
    zh: "{name}，您好：

{submitter} 提交的“{title}”已被 {actor}{outcome}，抄送给您。

请打开 Stoa 查看审批记录：{url}
申请编号：{id}
",
};

/// What every request mail names.
pub struct About<'a> {
    pub to: &'a str,
    pub name: &'a str,
    pub title: &'a str,
    pub id: &'a str,
    pub url: &'a str,
}

/// One mail from its subject and text templates: `values` fill both, beside the recipient's
/// name and the request's title, id and address.
fn render(
    locale: Locale,
    a: &About<'_>,
    subject: Localized,
    text: Localized,
    values: &[(&str, &str)],
) -> Mail {
    let mut all = vec![
        ("name", a.name),
        ("title", a.title),
        ("id", a.id),
        ("url", a.url),
    ];
    all.extend_from_slice(values);
    Mail {
        to: a.to.to_string(),
        subject: subject.render(locale, &all),
        text: text.render(locale, &all),
    }
}

fn outcome(locale: Locale, approved: bool) -> (String, Localized) {
    if approved {
        (OUTCOME_APPROVED.render(locale, &[]), APPROVED_SUBJECT)
    } else {
        (OUTCOME_REJECTED.render(locale, &[]), REJECTED_SUBJECT)
    }
}

/// To an approver the request reached: `node` is the step's name.
pub fn waiting(locale: Locale, a: &About<'_>, submitter: &str, node: &str) -> Mail {
    let values = [("submitter", submitter), ("node", node)];
    render(locale, a, WAITING_SUBJECT, WAITING_TEXT, &values)
}

/// To the submitter of a request that finished: approved or not, by `actor` (the last
/// decider's name).
pub fn finished(locale: Locale, a: &About<'_>, approved: bool, actor: &str) -> Mail {
    let (outcome, subject) = outcome(locale, approved);
    let values = [("actor", actor), ("outcome", outcome.as_str())];
    render(locale, a, subject, FINISHED_TEXT, &values)
}

/// To a current approver the submitter reminds: `node` is the step's name.
pub fn urged(locale: Locale, a: &About<'_>, submitter: &str, node: &str) -> Mail {
    let values = [("submitter", submitter), ("node", node)];
    render(locale, a, URGED_SUBJECT, URGED_TEXT, &values)
}

/// To the submitter of a request `actor` sent back to them for changes.
pub fn returned(locale: Locale, a: &About<'_>, actor: &str) -> Mail {
    render(
        locale,
        a,
        RETURNED_SUBJECT,
        RETURNED_TEXT,
        &[("actor", actor)],
    )
}

/// To a person copied on a request: when it was submitted (`finished` is `None`), or when it
/// finished — approved or not, by `actor`.
pub fn copied(
    locale: Locale,
    a: &About<'_>,
    submitter: &str,
    finished: Option<(bool, &str)>,
) -> Mail {
    let Some((approved, actor)) = finished else {
        let values = [("submitter", submitter)];
        return render(locale, a, COPIED_SUBJECT, COPIED_TEXT, &values);
    };
    let (outcome, subject) = outcome(locale, approved);
    let values = [
        ("submitter", submitter),
        ("actor", actor),
        ("outcome", outcome.as_str()),
    ];
    render(locale, a, subject, COPIED_FINISHED_TEXT, &values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mails_name_the_request_in_each_language() {
        let a = About {
            to: "a@x.test",
            name: "An",
            title: "Leave request",
            id: "r1",
            url: "https://stoa.test",
        };
        for l in [Locale::En, Locale::Vi, Locale::Zh] {
            let w = waiting(l, &a, "Sam", "Manager");
            assert!(w.subject.contains("Leave request"), "{l}");
            assert!(w.text.contains("Sam") && w.text.contains("r1") && !w.text.contains('{'));
            let f = finished(l, &a, false, "Mia");
            assert!(f.text.contains("Mia") && !f.text.contains('{'), "{l}");
            let u = urged(l, &a, "Sam", "Manager");
            assert!(u.text.contains("Sam") && u.text.contains("Manager") && !u.text.contains('{'));
            let r = returned(l, &a, "Mia");
            assert!(r.text.contains("Mia") && r.text.contains("r1") && !r.text.contains('{'));
            let c = copied(l, &a, "Sam", None);
            assert!(c.text.contains("Sam") && !c.text.contains('{'), "{l}");
            let d = copied(l, &a, "Sam", Some((true, "Mia")));
            assert!(d.text.contains("Sam") && d.text.contains("Mia") && !d.text.contains('{'));
        }
        assert_eq!(
            finished(Locale::En, &a, true, "Mia").subject,
            "Approved: Leave request"
        );
    }
}
