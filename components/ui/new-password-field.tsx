import { TextField, type TextFieldProps } from './text-field';

/** The shortest password the server accepts (MIN_PASSWORD_LENGTH in server/auth/auth.ts; a test keeps them equal). */
export const MIN_NEW_PASSWORD_LENGTH = 12;

/** A field for a password being chosen: hidden, offered to password managers as new, at least the server's minimum. */
export function NewPasswordField(props: Omit<TextFieldProps, 'type' | 'autoComplete' | 'minLength' | 'required'>) {
  return (
    <TextField
      type="password"
      autoComplete="new-password"
      hint={`At least ${MIN_NEW_PASSWORD_LENGTH} characters.`}
      required
      minLength={MIN_NEW_PASSWORD_LENGTH}
      {...props}
    />
  );
}
