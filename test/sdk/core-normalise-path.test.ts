// sdk/core/normalise-path.ts (PRIVACY.md 5, 13): paths are decoded until stable and every
// segment that could name a record or a person becomes :id; router templates are taken when valid.
import { describe, expect, it } from 'vitest'
import { normalisePath, routeTemplate } from '../../sdk/core/normalise-path.ts'

describe('normalisePath', () => {
  it.each([
    ['/users/ute.lenz/orders', '/users/:id/orders'],
    ['/u/ulenz', '/u/:id'],
    ['/profile/ute-lenz/edit', '/profile/:id/edit'],
    ['/users/settings', '/users/settings'],
    ['/search/janeroe', '/search/:id'],
    ['/~ulenz/files', '/:id/files'],
    ['/orders/A7X9K2/items', '/orders/:id/items'],
    ['/t/eyJhbGciOiJub25lIn0.eyJ1IjoidWxlbnoifQ.', '/t/:id'],
    ['/share/dXRlLmxlbnpAZmlybWEuY29t', '/share/:id'],
    ['/cart;jsessionid=0F1E2D3C4B5A/pay', '/cart/pay'],
    ['/a;b=c/d', '/:id/d'],
    ['/mail/ute%252Elenz%2540firma.com', '/mail/:id'],
    ['/mail/ｕｔｅ＠ｆｉｒｍａ．ｃｏｍ', '/mail/:id'],
    ['/docs/Lebenslauf_Lenz.docx', '/docs/:id'],
    ['/café/menu', '/:id/menu'],
    ['/a%2Fb%3Fq%3Dute', '/a/b'],
    ['https://app.example.com/orders/77?x=1#y', '/orders/:id'],
    ['//cdn.example.com/x', '/x'],
    ['/', '/'],
    // Page files keep their name (issue 28); the name before the extension follows the rules.
    ['/index.html', '/index.html'],
    ['/docs/module.html', '/docs/module.html'],
    ['/legacy/report.PHP', '/legacy/report.PHP'],
    ['/app/start.aspx/orders/A7X9', '/app/start.aspx/orders/:id'],
    ['/shop/cart.jsp', '/shop/cart.jsp'],
    ['/old/page.htm', '/old/page.htm'],
    ['/invoices/4711.html', '/invoices/:id'],
    ['/docs/ute.lenz.html', '/docs/:id'],
    ['/users/ute-lenz.html', '/users/:id'],
    ['/users/index.html', '/users/index.html'],
    ['/files/notes.txt', '/files/:id'],
  ])('%s -> %s', (input, output) => expect(normalisePath(input)).toBe(output))

  it('is stable: a normalised path normalises to itself', () => {
    for (const p of ['/users/ute.lenz/orders', '/mail/ute%252Elenz%2540firma.com']) expect(normalisePath(normalisePath(p))).toBe(normalisePath(p))
  })
})

describe('routeTemplate', () => {
  it.each([
    ['/orders/:orderId/print', '/orders/:id/print'],
    ['/orders/[id]', '/orders/:id'],
    ['/blog/[...slug]', '/blog/:id'],
    ['/files/{name}', '/files/:id'],
    ['/docs/*', '/docs/:id'],
    ['/users/<int:user_id>', '/users/:id'],
  ])('takes %s as %s', (input, output) => expect(routeTemplate(input)).toBe(output))

  it.each(['/users/ute.lenz', '/orders/4711', 'orders/:id', '/orders/:id?x=1', '/a b'])('refuses %s, which holds a value or is no template', (input) => {
    expect(routeTemplate(input)).toBeUndefined()
  })
})
