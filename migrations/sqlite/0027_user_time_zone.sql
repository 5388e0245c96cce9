-- A person's time zone (an IANA name such as `Asia/Ho_Chi_Minh`), a profile field beside the
-- language: the agenda, reminders and calendar feeds show times in it. Absent: UTC.
alter table users add column time_zone text;
