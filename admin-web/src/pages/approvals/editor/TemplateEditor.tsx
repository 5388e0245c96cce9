import { Group, Modal, Tabs, Textarea, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../../api/client';
import { FormModal } from '../../../components/FormModal';
import { Loading } from '../../../components/Loading';
import { ProblemAlert } from '../../../components/ProblemAlert';
import { FormEditor } from './FieldEditor';
import { FlowEditor } from './FlowEditor';
import { GeneralEditor } from './GeneralEditor';
import { cleanAttendance, noSubmitters, submittersFrom, submittersTo, type Attendance } from './general';
import { cleanFlow, cleanForm, errorAt, normalFlow, tabOf, type Flow, type Form } from './model';

type Template = Schemas['ApprovalTemplate'];

/** A starting point for a new template: an amount, the manager, and the admins above a threshold. */
export const NEW_FORM: Form = {
  fields: [
    { id: 'amount', label: 'Amount', kind: 'money', currency: 'USD', required: true, half_days: false },
    { id: 'reason', label: 'Reason', kind: 'long_text', required: true, half_days: false },
  ],
};
export const NEW_FLOW: Flow = normalFlow({
  nodes: [
    { id: 'manager', name: 'Manager', mode: 'any_one', approvers: [{ kind: 'manager', up_to: false }] },
    { id: 'admins', name: 'Administrators', mode: 'any_one', condition: 'amount > 1000', approvers: [{ kind: 'admins', up_to: false }] },
  ],
});

/** JSON for editing: indented, without the `null`s the server writes for absent options. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) => (x === null ? undefined : x), 2);
}

/** A JSON text, or the parse error's message. */
export function parseJson<T>(text: string): { value?: T; error?: string } {
  try {
    return { value: JSON.parse(text) as T };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** The template being edited: its form and flow, edited visually or (advanced) as JSON. */
function EditorForm({ base, onClose, onSaved }: { base?: Template; onClose: () => void; onSaved: () => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState(base?.name ?? '');
  const [category, setCategory] = useState(base?.category ?? '');
  const [description, setDescription] = useState(base?.description ?? '');
  const [form, setForm] = useState<Form>(base?.form ?? NEW_FORM);
  const [flow, setFlow] = useState<Flow>(normalFlow(base?.flow ?? NEW_FLOW));
  const [icon, setIcon] = useState(base?.icon ?? 'general');
  const [submitters, setSubmitters] = useState(submittersFrom(base?.submitters));
  const [attendance, setAttendance] = useState<Attendance | null>(base?.attendance ?? null);
  const [tab, setTab] = useState<string>('form');
  // The advanced view: JSON of both halves; while it does not parse, the visual tabs wait.
  const [json, setJson] = useState<string | null>(null);
  const parsed = json === null ? null : parseJson<{ form: Form; flow: Flow }>(json);
  const jsonError = parsed?.error ?? (parsed?.value && (!Array.isArray(parsed.value.form?.fields) || !Array.isArray(parsed.value.flow?.nodes)) ? t('approvals.ed.jsonShape') : undefined);
  const switchTab = (next: string | null) => {
    if (!next || next === tab) return;
    if (next === 'json') setJson(toJson({ form: cleanForm(form), flow: cleanFlow(flow) }));
    else if (tab === 'json') {
      if (jsonError || !parsed?.value) return;
      setForm(parsed.value.form);
      setFlow(normalFlow(parsed.value.flow));
      setJson(null);
    }
    setTab(next);
  };
  const m = useMutation({
    mutationFn: () => {
      const src = tab === 'json' && parsed?.value ? parsed.value : { form, flow };
      const body: Schemas['ApprovalTemplateInput'] = {
        name: name.trim(),
        category: category.trim(),
        description,
        icon: icon.trim(),
        submitters: submittersTo(submitters),
        form: cleanForm(src.form),
        flow: cleanFlow(normalFlow(src.flow)),
        attendance: cleanAttendance(attendance),
        expected_version: base?.version,
      };
      return base
        ? call(api.PUT('/approvals/templates/{id}', { params: { path: { id: base.id } }, body, headers: idem() }))
        : call(api.POST('/approvals/templates', { body, headers: idem() }));
    },
    onSuccess: () => {
      onSaved();
      onClose();
    },
    onError: (e) => {
      // Show the input at fault: open the tab that holds it.
      const where = tabOf(e);
      if (where && tab !== 'json') setTab(where);
    },
  });
  const err = m.error;
  return (
    <FormModal
      opened
      onClose={onClose}
      title={base ? t('approvals.newVersionOf', { name: base.name, v: base.version + 1 }) : t('approvals.new')}
      submitLabel={base ? t('approvals.saveVersion') : t('approvals.create')}
      onSubmit={() => m.mutate()}
      pending={m.isPending}
      error={err}
      disabled={!name.trim() || noSubmitters(submitters) || (tab === 'json' && !!jsonError)}
      size="xl"
    >
      <Group grow align="flex-start" wrap="wrap">
        <TextInput label={t('approvals.name')} required value={name} onChange={(e) => setName(e.currentTarget.value)} error={errorAt(err, 'name')} data-autofocus miw={200} />
        <TextInput label={t('approvals.category')} value={category} onChange={(e) => setCategory(e.currentTarget.value)} error={errorAt(err, 'category')} miw={200} />
      </Group>
      <Textarea label={t('approvals.description')} value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={errorAt(err, 'description')} autosize minRows={2} />
      <Tabs value={tab} onChange={switchTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="general">{t('approvals.ed.general')}</Tabs.Tab>
          <Tabs.Tab value="form">{t('approvals.form')}</Tabs.Tab>
          <Tabs.Tab value="flow">{t('approvals.flow')}</Tabs.Tab>
          <Tabs.Tab value="json">{t('approvals.ed.advanced')}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="general" pt="sm">
          <GeneralEditor
            icon={icon}
            onIcon={setIcon}
            submitters={submitters}
            onSubmitters={setSubmitters}
            attendance={attendance}
            onAttendance={setAttendance}
            form={form}
            error={err}
          />
        </Tabs.Panel>
        <Tabs.Panel value="form" pt="sm">
          <FormEditor fields={form.fields} onChange={(fields) => setForm({ fields })} error={err} />
        </Tabs.Panel>
        <Tabs.Panel value="flow" pt="sm">
          <FlowEditor flow={flow} form={form} onChange={setFlow} error={err} />
        </Tabs.Panel>
        <Tabs.Panel value="json" pt="sm">
          <Textarea
            label={t('approvals.ed.json')}
            description={t('approvals.ed.jsonHint')}
            value={json ?? ''}
            onChange={(e) => setJson(e.currentTarget.value)}
            error={jsonError}
            autosize
            minRows={10}
            maxRows={24}
            styles={{ input: { fontFamily: 'monospace', fontSize: 12 } }}
          />
        </Tabs.Panel>
      </Tabs>
    </FormModal>
  );
}

/** Create a template, or a new version of one (loaded first). */
export function TemplateEditor({ id, onClose }: { id: string | 'new'; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const current = useQuery({
    queryKey: ['approvals', 'template', id],
    enabled: id !== 'new',
    queryFn: () => call(api.GET('/approvals/templates/{id}', { params: { path: { id } } })),
  });
  const base = current.data;
  if (id !== 'new' && !base) {
    return (
      <Modal opened onClose={onClose} title={t('approvals.edit')}>
        {current.isLoading ? <Loading /> : <ProblemAlert error={current.error} />}
      </Modal>
    );
  }
  return <EditorForm base={base} onClose={onClose} onSaved={() => void qc.invalidateQueries({ queryKey: ['approvals'] })} />;
}
