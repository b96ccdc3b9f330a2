@mnotify @sending @mutating
Feature: Sending MNotify notifications
  As the developer of a sender information system
  I want to send a notification and follow it until it is delivered
  So that my system can tell its users what happened to their notice

  The lifecycle is Pending, Resolving, Sending, Sent, Delivered (and Read). The simulator moves a
  notification on by its clock: Resolving at 1 s, Sending at 2 s, Sent at 3 s, Delivered at 5 s.

  Background:
    Given I am MNotify sender "sender-a"

  Scenario: A notification is accepted and its id returned as a JSON string
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Titlu", "en": "Title", "ru": "Заголовок"},
       "body": {"ro": "Corpul mesajului", "en": "Message body", "ru": "Текст сообщения"}, "bodyShort": {"ro": "Corpul mesajului", "en": "Message body", "ru": "Текст сообщения"},
       "recipients": [{"value": "customer.email@example.md", "type": "Email"}],
       "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "sent"
    When I send an MNotify GET to "/api/Notification/{sent}"
    Then the MNotify answer has "id" equal to "{sent}"

  @simulator @herald-design
  Scenario: A notification goes through its lifecycle on the simulator clock
    Given the MNotify simulator clock is frozen at "2025-11-10T09:00:00Z"
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Titlu"}, "body": {"ro": "Corp"}, "bodyShort": {"ro": "Corp"},
       "recipients": [{"value": "2222222222222", "type": "IDNP"}], "priority": "Medium"}
      """
    Then the MNotify answer is an id remembered as "n"
    And the MNotify notification "n" has status "Pending"
    When the MNotify simulator clock advances by 1 seconds
    Then the MNotify notification "n" has status "Resolving"
    When the MNotify simulator clock advances by 1 seconds
    Then the MNotify notification "n" has status "Sending"
    When the MNotify simulator clock advances by 1 seconds
    Then the MNotify notification "n" has status "Sent"
    When the MNotify simulator clock advances by 2 seconds
    Then the MNotify notification "n" has status "Delivered"
    And the MNotify answer has "recipients[0].messages[0].channel" equal to "Email"
    And the MNotify answer has "recipients[0].messages[1].channel" equal to "MCabinet"

  @simulator @herald-design
  Scenario: A recipient without an active channel fails
    Given the MNotify simulator clock is frozen at "2025-11-10T09:00:00Z"
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Titlu"}, "body": {"ro": "Corp"}, "bodyShort": {"ro": "Corp"},
       "recipients": [{"value": "2999999999999", "type": "IDNP"}], "priority": "High"}
      """
    Then the MNotify answer is an id remembered as "unreachable"
    When the MNotify simulator clock advances by 5 seconds
    Then the MNotify notification "unreachable" has status "Failed"
    And the MNotify answer has "recipients[0].status" equal to "Failed"

  @simulator @herald-design
  Scenario: Messages use the recipient's preferred language
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Titlu", "ru": "Заголовок"}, "body": {"ro": "Corp", "ru": "Текст"}, "bodyShort": {"ro": "Corp", "ru": "Текст"},
       "recipients": [{"value": "2000000000011", "type": "IDNP"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "ru"
    When I send an MNotify GET to "/api/Notification/{ru}"
    Then the MNotify answer has "recipients[0].messages[0].subject" equal to "Заголовок"

  @simulator
  Scenario: A notification from a template fills its variables and the static ones
    When I send an MNotify POST to "/api/Template" with:
      """
      {"name": "Greeting {unique}", "description": "d", "subject": {"ro": "Salut {{RecipientFirstName}}"}, "body": {"ro": "Cod {{code}}"}, "bodyShort": {"ro": "Cod {{code}}"}}
      """
    Then the MNotify answer is an id remembered as "greeting"
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"template": {"id": "{greeting}", "variables": "{\"code\":\"7\"}"},
       "recipients": [{"value": "2222222222222", "type": "IDNP"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "greeted"
    When I send an MNotify GET to "/api/Notification/{greeted}"
    Then the MNotify answer has "recipients[0].messages[0].subject" equal to "Salut Ion"
    When I read the MNotify messages of "greeted" from the simulator
    Then the MNotify simulator delivered 2 messages
    And the MNotify simulator delivered "[0].to" equal to "ion.popescu@example.md"
    And the MNotify simulator delivered "[0].body" equal to "Cod 7"
    And the MNotify simulator delivered "[1].channel" equal to "MCabinet"

  Scenario: The recipient types as the vendor's examples spell them are accepted
    The vendor's overview writes "Idnp" and "email", its examples and the official client "IDNP"
    and "Email".

    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Titlu"}, "body": {"ro": "Corp"}, "bodyShort": {"ro": "Corp"},
       "recipients": [{"value": "2222222222222", "type": "Idnp"}, {"value": "someone@example.md", "type": "email"}],
       "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "any case"

  @herald-design
  Scenario: A priority in any case, and no bodyShort, are accepted
    The reference and the official client require bodyShort, the examples page leaves it out:
    Herald accepts a notification without it (body stands in) and reads enums in any case, as
    ASP.NET does.

    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Titlu"}, "body": {"ro": "Corp"},
       "recipients": [{"value": "someone@example.md", "type": "Email"}], "priority": "low"}
      """
    Then the MNotify answer is an id remembered as "lenient"
