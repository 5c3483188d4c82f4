/**
 * The visitor's confirmation email (issue 13): offered on a form that asks for it, when email can be
 * sent; in the form's language (a Welsh form sends Welsh); the reference and what happens next, never the
 * answers; the address is checked like any answer (kept on screen with the rest when it is wrong), never
 * sent to the CRM, and deleted once the email is sent.
 */
import { copyFileSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONFIRM_ADDRESS_FIELD, CONFIRM_FIELD } from '../../src/forms/confirm-email.js'
import { startFakeLamplight, type FakeLamplight } from '../fakes/fake-lamplight.js'
import { FIXTURE_FORMS, form, FORM_HEADERS, tempDir, type TestApp } from '../helpers/app.js'
import { ownHiddenInputs } from '../helpers/html-fragments.js'
import { logPersonalData, personalDataIn } from '../helpers/mail-log.js'
import { buildRelayApp, lamplightEnv, submit, waitFor } from '../helpers/relay.js'
import { smtpEnv, startSmtp, type TestSmtp } from '../helpers/smtp.js'

let smtp: TestSmtp
let crm: FakeLamplight
let t: TestApp
let formsDir: string

const ANSWERS = [['client[0][_]', '1'], ['client[0][first_name]', 'Gwenllian'], ['client[0][surname]', 'Prydderchson'], ['reason', 'Mae angen help arnaf gyda gofalu am fy mam']] as Array<[string, string]>

beforeAll(async () => {
  smtp = await startSmtp()
  crm = await startFakeLamplight()
  formsDir = tempDir('rf-confirm-forms-')
  copyFileSync(path.join(FIXTURE_FORMS, 'welsh-form.yaml'), path.join(formsDir, 'welsh-form.yaml'))
  const file = path.join(formsDir, 'welsh-form.yaml')
  writeFileSync(file, `${readFileSync(file, 'utf8')}confirmation:\n  body: Byddwn yn eich ffonio o fewn pum diwrnod gwaith.\n  email: true\n`)
  t = await buildRelayApp({ formsDir, env: { ...lamplightEnv(crm), ...smtpEnv(smtp), CHARITY_NAME: 'Gofalwyr Dyffryn Gwy', DIGEST_TIME: 'off' } })
})
afterAll(async () => {
  await t?.close()
  await smtp?.close()
  await crm?.close()
  rmSync(formsDir, { recursive: true, force: true })
})

describe('the visitor\'s confirmation email', () => {
  it('is offered with a warning, in Welsh, and an address left out is asked for with the answers kept', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/forms/welsh-form' })
    expect(page.body).toContain('Anfonwch gadarnhad ataf drwy e-bost gyda fy nghyfeirnod')
    expect(page.body).toContain('Bydd unrhyw un sy’n gallu darllen eich e-byst yn gweld eich bod wedi anfon atgyfeiriad.')
    const res = await t.app.inject({
      method: 'POST',
      url: '/forms/welsh-form',
      headers: FORM_HEADERS,
      payload: form([...ownHiddenInputs(page.body), ...ANSWERS, [CONFIRM_FIELD, '1'], [CONFIRM_ADDRESS_FIELD, '']]),
    })
    expect(res.statusCode).toBe(422)
    expect(res.body).toContain('value="Gwenllian"')
    expect(res.body).toMatch(/href="#f-_confirm_email"/)
  })

  it('sends the reference and what happens next to the address given, never the answers nor to the CRM, then forgets the address', async () => {
    const address = 'gwenllian.p@example.cymru'
    logPersonalData([...ANSWERS.map(([, v]) => v), address])
    const ref = await submit(t.app, 'welsh-form', form([...ANSWERS, [CONFIRM_FIELD, '1'], [CONFIRM_ADDRESS_FIELD, address]]))
    const [mail] = await smtp.waitFor(1)
    expect(mail).toMatchObject({ to: [address], subject: `Mae eich atgyfeiriad gennym: ${ref}` })
    expect(mail!.text).toContain(`Eich cyfeirnod yw ${ref}.`)
    expect(mail!.text).toContain('gan Gofalwyr Dyffryn Gwy')
    expect(mail!.text).toContain('Beth sy’n digwydd nesaf: Byddwn yn eich ffonio o fewn pum diwrnod gwaith.')
    expect(mail!.html).toContain('<html lang="cy">')
    expect(personalDataIn(mail!, ANSWERS.map(([, v]) => v).filter((v) => v.length > 3))).toEqual([])
    await waitFor('the address forgotten', async () => (await t.app.services.storage.submissions.confirmationAddress(ref)) === undefined)
    await waitFor('the referral delivered', async () => (await t.app.services.storage.submissions.findByReference(ref))?.delivered_at)
    expect(JSON.stringify(crm.requests)).not.toContain(address)
    expect(JSON.stringify(crm.requests)).not.toContain('_confirm')
  })

  it('unticked, the address is not asked for and no email is sent', async () => {
    smtp.messages.length = 0
    const ref = await submit(t.app, 'welsh-form', form([...ANSWERS, [CONFIRM_ADDRESS_FIELD, 'ignored@example.org']]))
    await waitFor('the referral delivered', async () => (await t.app.services.storage.submissions.findByReference(ref))?.delivered_at)
    expect(await t.app.services.storage.submissions.confirmationAddress(ref)).toBeUndefined()
    expect((await t.app.services.storage.alerts.list(0, 20)).filter((a) => a.reference === ref)).toEqual([])
    expect(smtp.messages).toEqual([])
  })
})
