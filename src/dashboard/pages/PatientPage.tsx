/** Patient: their own record, read-only. The server answers only inside their compartment anyway. */
import { PatientRecord } from '../components/PatientRecord.js';
import type { Session, User } from '../session.js';

export function PatientPage({ session, user }: { session: Session; user: User }) {
  return (
    <div class="dashboard" data-testid="dashboard-patient">
      <h1>My record</h1>
      {user.patient ? (
        <PatientRecord session={session} patientId={user.patient} />
      ) : (
        <p class="error" role="alert">This user is not linked to a patient; ask an admin to link it.</p>
      )}
    </div>
  );
}
