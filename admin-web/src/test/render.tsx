import { MantineProvider } from '@mantine/core';
import { QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { makeQueryClient } from '../App';
import { SessionProvider } from '../auth/session';
import '../i18n';

/** `ui` in the console's providers; with `session`, inside a SessionProvider (stub `/me` then). */
export function renderUi(ui: ReactElement, { session = false }: { session?: boolean } = {}) {
  return render(
    <MantineProvider>
      <QueryClientProvider client={makeQueryClient()}>
        <MemoryRouter>{session ? <SessionProvider>{ui}</SessionProvider> : ui}</MemoryRouter>
      </QueryClientProvider>
    </MantineProvider>,
  );
}
