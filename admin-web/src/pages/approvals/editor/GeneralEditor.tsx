import { Autocomplete, Checkbox, Group, MultiSelect, Select, Stack } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../../api/client';
import { departmentOptions } from '../../directory/Directory';
import { ICONS, noSubmitters, type Attendance, type Submitters } from './general';
import { errorAt, type Form } from './model';

const failed = (e: unknown) => (e instanceof Error ? e.message : undefined);

/** Who may submit the template (departments and roles picked from the API), its icon and attendance link. */
export function GeneralEditor({
  icon,
  onIcon,
  submitters,
  onSubmitters,
  attendance,
  onAttendance,
  form,
  error,
}: {
  icon: string;
  onIcon: (v: string) => void;
  submitters: Submitters;
  onSubmitters: (v: Submitters) => void;
  attendance: Attendance | null;
  onAttendance: (v: Attendance | null) => void;
  form: Form;
  error: unknown;
}) {
  const { t } = useTranslation();
  const chart = useQuery({ queryKey: ['directory', 'chart'], enabled: !submitters.everyone, queryFn: () => call(api.GET('/directory/chart')) });
  const roles = useQuery({ queryKey: ['roles'], enabled: !submitters.everyone, queryFn: () => call(api.GET('/roles')) });
  const set = (patch: Partial<Submitters>) => onSubmitters({ ...submitters, ...patch });
  const ranges = form.fields.filter((f) => f.kind === 'date_range' && f.id);
  const whole = errorAt(error, 'submitters');
  return (
    <Stack>
      <Autocomplete
        label={t('approvals.ed.icon')}
        description={t('approvals.ed.iconHint')}
        data={ICONS}
        value={icon}
        onChange={onIcon}
        error={errorAt(error, 'icon')}
        maw={320}
      />
      <Checkbox label={t('approvals.ed.everyone')} checked={submitters.everyone} onChange={(e) => set({ everyone: e.currentTarget.checked })} error={submitters.everyone ? whole : undefined} />
      {!submitters.everyone && (
        <>
          <MultiSelect
            label={t('approvals.ed.submitDepartments')}
            data={departmentOptions(chart.data?.nodes ?? [])}
            value={submitters.departments}
            onChange={(departments) => set({ departments })}
            error={whole ?? (noSubmitters(submitters) ? t('approvals.ed.chooseSubmitters') : failed(chart.error))}
            searchable
          />
          <Checkbox label={t('approvals.ed.subtree')} checked={submitters.subtree} onChange={(e) => set({ subtree: e.currentTarget.checked })} />
          <MultiSelect
            label={t('approvals.ed.submitRoles')}
            data={(roles.data ?? []).map((r) => ({ value: r.id, label: r.name }))}
            value={submitters.roles}
            onChange={(roles) => set({ roles })}
            error={failed(roles.error)}
            searchable
          />
        </>
      )}
      <Group align="flex-start" wrap="wrap">
        <Select
          label={t('approvals.ed.attendance')}
          description={t('approvals.ed.attendanceHint')}
          data={[
            { value: '', label: t('approvals.ed.attendanceNone') },
            { value: 'leave', label: t('approvals.ed.attendanceKind.leave') },
            { value: 'trip', label: t('approvals.ed.attendanceKind.trip') },
          ]}
          value={attendance?.kind ?? ''}
          onChange={(v) => onAttendance(v ? { kind: v as Attendance['kind'], field: attendance?.field || ranges[0]?.id || '' } : null)}
          error={errorAt(error, 'attendance')}
          allowDeselect={false}
          w={260}
        />
        {attendance && (
          <Select
            label={t('approvals.ed.attendanceField')}
            data={ranges.map((f) => ({ value: f.id, label: f.label ? `${f.label} (${f.id})` : f.id }))}
            value={attendance.field || null}
            onChange={(v) => onAttendance({ ...attendance, field: v ?? '' })}
            error={errorAt(error, 'attendance.field') ?? (ranges.length ? undefined : t('approvals.ed.noRanges'))}
            w={260}
          />
        )}
      </Group>
    </Stack>
  );
}
