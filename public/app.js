// Progressive enhancement of the form pages. Everything works without this file: it only saves
// round trips (add/remove people, show_if questions) and moves focus the way GOV.UK pages do.
(function () {
  'use strict'
  var summary = document.querySelector('[data-error-summary]')
  if (summary) summary.focus()

  // Error summary links: focus the field and bring its question into view.
  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('[data-error-summary] a')
    if (!a) return
    var target = document.getElementById(a.getAttribute('href').slice(1))
    if (!target) return
    e.preventDefault()
    var field = target.closest('.field, .group') || target
    field.scrollIntoView()
    target.focus({ preventScroll: true })
  })

  var form = document.querySelector('[data-form]')
  if (!form) return

  // show_if: hidden until the condition holds. The server ignores a hidden field's answer.
  function valuesOf (name) {
    var out = []
    var els = form.querySelectorAll('[name="' + name.replace(/"/g, '\\"') + '"]')
    for (var i = 0; i < els.length; i++) {
      var el = els[i]
      if ((el.type === 'radio' || el.type === 'checkbox') && !el.checked) continue
      out.push(el.value.trim())
    }
    return out
  }
  function updateConditions () {
    var fields = form.querySelectorAll('[data-show-if]')
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i]
      var wanted = JSON.parse(f.getAttribute('data-show-values') || '[]')
      var have = valuesOf(f.getAttribute('data-show-if'))
      f.hidden = !have.some(function (v) { return wanted.indexOf(v) >= 0 })
      var hint = f.querySelector('[data-condition-hint]')
      if (hint) hint.hidden = true
    }
  }
  form.addEventListener('change', updateConditions)
  form.addEventListener('input', updateConditions)
  updateConditions()

  // People groups: add and remove in the page, renumbering names and ids as the server would.
  var ATTRS = ['name', 'id', 'for', 'aria-describedby', 'data-show-if', 'href']
  function renumber (group) {
    var key = group.getAttribute('data-group')
    var people = group.querySelectorAll('[data-person]')
    var min = Number(group.getAttribute('data-min'))
    var max = Number(group.getAttribute('data-max'))
    for (var i = 0; i < people.length; i++) {
      var p = people[i]
      var els = [p].concat([].slice.call(p.querySelectorAll('*')))
      for (var j = 0; j < els.length; j++) {
        for (var k = 0; k < ATTRS.length; k++) {
          var v = els[j].getAttribute(ATTRS[k])
          if (v === null) continue
          els[j].setAttribute(ATTRS[k], v.split(key + '[').map(function (part, n) {
            return n === 0 ? part : part.replace(/^\d+\]/, i + ']')
          }).join(key + '[').replace(new RegExp('f-' + key + '-\\d+-', 'g'), 'f-' + key + '-' + i + '-'))
        }
      }
      var legend = p.querySelector('legend')
      if (legend) legend.textContent = group.getAttribute('data-person-label').replace('{n}', i + 1)
      var remove = p.querySelector('[data-remove]')
      if (remove) {
        remove.value = 'remove:' + key + ':' + i
        remove.textContent = group.getAttribute('data-remove-label').replace('{n}', i + 1)
        remove.hidden = people.length <= min
      }
    }
    var add = group.querySelector('[data-add]')
    if (add) add.hidden = people.length >= max
  }
  function blank (person) {
    var copy = person.cloneNode(true)
    var errs = copy.querySelectorAll('.error-message')
    for (var i = 0; i < errs.length; i++) errs[i].parentNode.removeChild(errs[i])
    var els = copy.querySelectorAll('input, select, textarea, .field, [aria-describedby]')
    for (var j = 0; j < els.length; j++) {
      var el = els[j]
      el.classList.remove('field--error', 'input--error')
      el.removeAttribute('aria-invalid')
      var d = el.getAttribute('aria-describedby')
      if (d) {
        d = d.split(' ').filter(function (x) { return !/-error$/.test(x) }).join(' ')
        if (d) el.setAttribute('aria-describedby', d); else el.removeAttribute('aria-describedby')
      }
      if (el.type === 'radio' || el.type === 'checkbox') el.checked = false
      else if (el.tagName === 'SELECT') el.selectedIndex = 0
      else if (el.type !== 'hidden' && 'value' in el && el.tagName !== 'BUTTON') el.value = ''
    }
    return copy
  }
  form.addEventListener('click', function (e) {
    var button = e.target.closest && e.target.closest('[data-add], [data-remove]')
    if (!button) return
    var group = button.closest('[data-group]')
    var people = group.querySelectorAll('[data-person]')
    e.preventDefault()
    if (button.hasAttribute('data-add')) {
      var last = people[people.length - 1]
      var copy = blank(last)
      last.parentNode.insertBefore(copy, last.nextSibling)
      renumber(group)
      updateConditions()
      var first = copy.querySelector('input:not([type=hidden]), select, textarea')
      if (first) first.focus()
    } else {
      var person = button.closest('[data-person]')
      var index = [].indexOf.call(people, person)
      person.parentNode.removeChild(person)
      renumber(group)
      var rest = group.querySelectorAll('[data-person]')
      var next = rest[Math.min(index, rest.length - 1)]
      var focus = next && next.querySelector('input:not([type=hidden]), select, textarea')
      if (focus) focus.focus()
    }
  })
})()
