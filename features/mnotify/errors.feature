@mnotify @errors
Feature: MNotify errors
  As the developer of a sender information system
  I want every refusal to say which field is wrong
  So that I fix my request without guessing

  Errors are ProblemDetails (application/problem+json), Herald's design as the vendor publishes
  no error shape. A 400 names each field in the vendor's JSON path spelling. A real MNotify is
  held to the status alone: "is a problem <status>" checks the body on a Herald only.

  Background:
    Given I am MNotify sender "sender-a"

  @mutating
  Scenario Outline: Documented validation rules name the field at fault
    When I send an MNotify POST to "/api/Notification" with:
      """
      <body>
      """
    Then the MNotify answer is a problem 400 naming "<field>"

    Examples:
      | body                                                                                                                                     | field                   |
      | {"subject": {"ro": "S"}, "body": {"ro": "B"}, "bodyShort": {"ro": "B"}, "recipients": [{"value": "222222222222", "type": "IDNP"}], "priority": "Low"}               | Recipients[0].Value     |
      | {"subject": {"ro": "S"}, "body": {"ro": "B"}, "bodyShort": {"ro": "B"}, "recipients": [{"value": "not-an-address", "type": "Email"}], "priority": "Low"}           | Recipients[0].Value     |
      | {"subject": {"ro": "S"}, "body": {"ro": "B"}, "bodyShort": {"ro": "B"}, "recipients": [{"value": "a@example.md", "type": "Email"}], "priority": "Urgent"}          | Priority                |
      | {"subject": {"ro": "A subject that is longer than forty-one chars"}, "body": {"ro": "B"}, "bodyShort": {"ro": "B"}, "recipients": [{"value": "a@example.md", "type": "Email"}], "priority": "Low"} | Subject.Ro |
      | {"subject": {"en": "S"}, "body": {"ro": "B"}, "bodyShort": {"ro": "B"}, "recipients": [{"value": "a@example.md", "type": "Email"}], "priority": "Low"}              | Subject.Ro              |
      | {"subject": {"ro": "S"}, "body": {"ro": "B"}, "bodyShort": {"ro": "B"}, "recipients": [{"value": "a@example.md", "type": "Email"}], "priority": "Low", "attachments": [{"fileName": "run.exe", "base64": "aGk="}]} | Attachments[0].FileName |

  @mutating
  Scenario: A body that is not JSON is refused as a whole
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject":
      """
    Then the MNotify answer is a problem 400 naming "$"

  @herald-design
  Scenario: A query parameter given twice is ambiguous
    When I send an MNotify GET to "/api/Notification?Page=1&page=2"
    Then the MNotify answer is a problem 400 naming "Page"

  Scenario: An id that is not a UUID is refused or not found
    The vendor documents ids as UUIDs; whether ASP.NET refuses another value (400) or finds no
    route for it (404) depends on how the route is written.

    When I send an MNotify GET to "/api/Notification/12345"
    Then the MNotify answer is 400 or 404

  @herald-design
  Scenario: An id that is not a UUID is a 400 naming it
    When I send an MNotify GET to "/api/Notification/12345"
    Then the MNotify answer is a problem 400 naming "id"

  Scenario: No client certificate is 401
    Given I present no MNotify client certificate
    When I send an MNotify GET to "/api/Template"
    Then the MNotify answer is a problem 401

  @cert-unregistered
  Scenario: An unregistered certificate is refused
    The vendor documents 401 and 403 for refused callers: a real MNotify may answer either, a
    Herald answers 403 (identified, not allowed), as a problem.

    Given I am MNotify sender "unregistered"
    When I send an MNotify GET to "/api/Template"
    Then the MNotify answer refuses the caller, with 403 on a Herald

  Scenario: An unknown id is 404
    When I send an MNotify GET to "/api/Template/9d871bac-f99c-4123-be7b-b391009a59db"
    Then the MNotify answer is a problem 404

  @simulator @mutating
  Scenario: Cancelling a delivered notification is 409
    Given the MNotify simulator clock is frozen at "2025-11-10T09:00:00Z"
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "S"}, "body": {"ro": "B"}, "bodyShort": {"ro": "B"}, "recipients": [{"value": "a@example.md", "type": "Email"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "delivered"
    When the MNotify simulator clock advances by 5 seconds
    And I send an MNotify DELETE to "/api/Notification/{delivered}"
    Then the MNotify answer is a problem 409

  @herald-design
  Scenario: A method the path does not take is 405
    When I send an MNotify PATCH to "/api/Notification"
    Then the MNotify answer is a problem 405

  @simulator
  Scenario: A server error injected through Herald is a ProblemDetails 500
    Given the simulator fails the next "listNotifications" call with status 500
    When I send an MNotify GET to "/api/Notification"
    Then the MNotify answer is a problem 500
    When I send an MNotify GET to "/api/Notification"
    Then the MNotify answer is 200
