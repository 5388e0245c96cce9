import { Button, Group, Modal, Stack, TextInput } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from './ProblemAlert';

/**
 * A destructive action's confirmation: shows the previewed consequences and, for the gravest
 * actions, asks the admin to type a word before the button works.
 */
export function Confirm({
  opened,
  onClose,
  title,
  children,
  confirmLabel,
  onConfirm,
  pending,
  error,
  typeToConfirm,
  color = 'red',
}: {
  opened: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  pending?: boolean;
  error?: unknown;
  typeToConfirm?: string;
  color?: string;
}) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState('');
  const ok = !typeToConfirm || typed.trim() === typeToConfirm;
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered size="lg">
      <Stack>
        {children}
        {typeToConfirm && (
          <TextInput
            label={t('common.typeToConfirm', { word: typeToConfirm })}
            value={typed}
            onChange={(e) => setTyped(e.currentTarget.value)}
            data-autofocus
          />
        )}
        <ProblemAlert error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button color={color} onClick={onConfirm} loading={pending} disabled={!ok}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
