@mnotify @templates @mutating
Feature: MNotify templates
  As the developer of a sender information system
  I want to keep notification texts as templates with variables
  So that my system sends short calls and MNotify fills in the details

  Variables are written {{name}}; they are sent as a JSON object encoded in a string.

  Background:
    Given I am MNotify sender "sender-a"
    When I send an MNotify POST to "/api/Template" with:
      """
      {"name": "Order received {unique}", "description": "Sent when an order is placed",
       "subject": {"ro": "Comanda {{orderId}}", "en": "Order {{orderId}}", "ru": "Заказ {{orderId}}"},
       "body": {"ro": "Dragă {{customerName}}", "en": "Dear {{customerName}}", "ru": "Уважаемый {{customerName}}"}, "bodyShort": {"ro": "Dragă {{customerName}}", "en": "Dear {{customerName}}", "ru": "Уважаемый {{customerName}}"}}
      """
    Then the MNotify answer is an id remembered as "order"

  Scenario: A template is read back as written
    When I send an MNotify GET to "/api/Template/{order}"
    Then the MNotify answer has "name" equal to "Order received {unique}"
    And the MNotify answer has "subject.en" equal to "Order {{orderId}}"

  Scenario: A template is listed
    When I send an MNotify GET to "/api/Template?SearchBy={order}"
    Then the MNotify answer is a list of 1 items
    And the MNotify answer has "[0].id" equal to "{order}"

  Scenario: A template is replaced
    When I send an MNotify PUT to "/api/Template/{order}" with:
      """
      {"name": "Order received {unique}", "description": "v2", "subject": {"ro": "Comanda"}, "body": {"ro": "Mulțumim"}, "bodyShort": {"ro": "Mulțumim"}}
      """
    Then the MNotify answer has "" equal to "{order}"
    When I send an MNotify GET to "/api/Template/{order}"
    Then the MNotify answer has "body.ro" equal to "Mulțumim"

  Scenario Outline: Check renders the variables in every language (body form)
    When I send an MNotify POST to "/api/Template/{order}/check" with:
      """
      {"variables": "{\"customerName\":\"John Doe\",\"orderId\":\"42\"}"}
      """
    Then the MNotify answer is 200
    And the MNotify answer has "body.<lang>" equal to "<body>"
    And the MNotify answer has "subject.<lang>" equal to "<subject>"

    Examples:
      | lang | body                | subject   |
      | ro   | Dragă John Doe      | Comanda 42 |
      | en   | Dear John Doe       | Order 42  |
      | ru   | Уважаемый John Doe  | Заказ 42  |

  Scenario: Check renders the variables (query form)
    When I send an MNotify GET to "/api/Template/{order}/check?variables=%7B%22customerName%22%3A%22Ana%22%7D"
    Then the MNotify answer has "body.ro" equal to "Dragă Ana"

  @herald-design
  Scenario: Unknown variables are left as written
    When I send an MNotify POST to "/api/Template/{order}/check" with:
      """
      {"variables": "{\"somethingElse\":\"x\"}"}
      """
    Then the MNotify answer has "body.ro" equal to "Dragă {{customerName}}"

  Scenario: Check fills the IDNP from userId
    When I send an MNotify PUT to "/api/Template/{order}" with:
      """
      {"name": "Order received {unique}", "description": "d", "subject": {"ro": "S"}, "body": {"ro": "Pentru {{IDNP}}"}, "bodyShort": {"ro": "Pentru {{IDNP}}"}}
      """
    And I send an MNotify GET to "/api/Template/{order}/check?userId=2222222222222"
    Then the MNotify answer has "body.ro" equal to "Pentru 2222222222222"

  Scenario: Variables that are not a JSON object are refused
    When I send an MNotify POST to "/api/Template/{order}/check" with:
      """
      {"variables": "not json"}
      """
    Then the MNotify answer is a problem 400 naming "Variables"

  @herald-design
  Scenario: Two templates of one sender cannot share a name
    When I send an MNotify POST to "/api/Template" with:
      """
      {"name": "Order received {unique}", "description": "again", "subject": {"ro": "S"}, "body": {"ro": "B"}, "bodyShort": {"ro": "B"}}
      """
    Then the MNotify answer is a problem 409

  Scenario: A deleted template is gone
    When I send an MNotify DELETE to "/api/Template/{order}"
    Then the MNotify answer has "" equal to "{order}"
    When I send an MNotify GET to "/api/Template/{order}"
    Then the MNotify answer is a problem 404
