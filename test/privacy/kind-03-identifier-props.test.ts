// Issue 10, kind 3: props that identify a person by their key (`username`, `full_name`,
// `customer_uuid`, e-mail, phone, names) are not stored as values, even in an open plan where
// their values have harmless shapes; a plan cannot declare them as token or text either.
import { expect } from 'vitest'
import { batch, event } from '../support/batch.ts'
import { definePlantedKind, usersOf } from './harness.ts'

definePlantedKind('kind 3: identifier props', {
  plan: { mode: 'open', events: {} },
  async plant({ post, key }) {
    const users = usersOf('kind3-user', 3)
    const props = {
      username: 'mbrandt', user_name: 'kwagner', full_name: 'Lindqvist', customer_uuid: 'cafe', first_name: 'Ingrid',
      surname: 'Solberg', login: 'hfischer', owner: 'dkowalczyk', nickname: 'bluefalcon', email_address: 'tvogel',
      phone: 'zwoelf', display_name: 'Ravensburg', account_id: 'nbecker', theme: 'zyqvoxdark',
    }
    const res = await post(batch(key, users.map((user_id) => event({ name: 'profile_opened', user_id, props }))))
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(3)
    // Counted under "[undeclared]": an undeclared key is never an answer key (issue 25).
    expect(res.body.dropped_props).toEqual({ '[undeclared]': 3 * (Object.keys(props).length - 1) })
  },
  planted: {
    username: 'mbrandt', user_name: 'kwagner', full_name: 'Lindqvist', first_name: 'Ingrid', surname: 'Solberg', login: 'hfischer',
    owner: 'dkowalczyk', nickname: 'bluefalcon', email_address: 'tvogel', phone: 'zwoelf', display_name: 'Ravensburg', account_id: 'nbecker',
  },
  control: 'zyqvoxdark',
  apiControl: 'dropped_props',
})
