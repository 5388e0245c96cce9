import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { SessionProvider } from '../auth/session';
import { renderUi } from '../test/render';
import { SignIn } from './SignIn';

describe('SignIn', () => {
  it('asks for the tenant, login and password; single sign-on only once the tenant offers it', () => {
    renderUi(
      <SessionProvider>
        <SignIn />
      </SessionProvider>,
    );
    expect(screen.getByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByLabelText(/Organisation/)).toBeRequired();
    expect(screen.getByLabelText(/Email or phone/)).toBeRequired();
    expect(screen.getByLabelText(/^Password/)).toBeRequired();
    expect(screen.queryByRole('button', { name: 'Sign in with single sign-on' })).toBeNull();
  });
});
