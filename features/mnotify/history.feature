@mnotify @history @mutating
Feature: MNotify notification history
  As the developer of a sender information system
  I want to list what my system sent, and what it sent to one person
  So that support staff can answer a citizen's question about a notice

  Background:
    Given I am MNotify sender "sender-a"
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Istoric"}, "body": {"ro": "Corp"}, "bodyShort": {"ro": "Corp"},
       "recipients": [{"value": "2222222222222", "type": "IDNP"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "mine"

  Scenario: The sender's history holds its notification
    When I send an MNotify GET to "/api/Notification?SearchBy={mine}"
    Then the MNotify answer is a list of 1 items
    And the MNotify answer has "[0].id" equal to "{mine}"

  @herald-design
  Scenario: The history by IDNP lists the messages to that person
    When I send an MNotify GET to "/api/Notification/Recipient/2222222222222?OrderField=createdAt%20desc&ItemsPerPage=1"
    Then the MNotify answer is a list of 1 items
    And the MNotify answer has "[0].id" equal to "{mine}"

  @cert-sender-b
  Scenario: Another sender's history does not show it
    Given I am MNotify sender "sender-b"
    When I send an MNotify GET to "/api/Notification?SearchBy={mine}"
    Then the MNotify answer is a list of 0 items

  @herald-design
  Scenario: The history by IDNP needs a 13-digit IDNP
    When I send an MNotify GET to "/api/Notification/Recipient/22222"
    Then the MNotify answer is a problem 400 naming "idnp"
