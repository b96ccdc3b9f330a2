@mnotify @paging @mutating
Feature: MNotify paging and ordering
  As the developer of a sender information system
  I want to page through my notifications in the order I choose
  So that my system can show them without loading them all

  Notifications made one after the other have increasing createdAt (or, on a frozen simulator
  clock, equal ones, ordered by creation). Lists are bare JSON arrays. Page is 1-based; ItemsPerPage
  defaults to 10 (Herald design). A whole listing from the first item depends on everything the
  sender ever sent, so those scenarios use a sender registered afresh in Herald's MPass registry.

  Background:
    Given I am MNotify sender "sender-a"
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Primul"}, "body": {"ro": "1"}, "bodyShort": {"ro": "1"}, "recipients": [{"value": "a@example.md", "type": "Email"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "first"
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Al doilea"}, "body": {"ro": "2"}, "bodyShort": {"ro": "2"}, "recipients": [{"value": "b@example.md", "type": "Email"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "second"

  Scenario: Newest first
    When I send an MNotify GET to "/api/Notification?Page=1&ItemsPerPage=2&OrderField=createdAt%20desc"
    Then the MNotify answer is a list of 2 items
    And the MNotify answer has "[0].id" equal to "{second}"
    And the MNotify answer has "[1].id" equal to "{first}"

  Scenario: Newest first, one per page
    When I send an MNotify GET to "/api/Notification?Page=2&ItemsPerPage=1&OrderField=createdAt%20desc"
    Then the MNotify answer is a list of 1 items
    And the MNotify answer has "[0].id" equal to "{first}"

  @simulator @cert-unregistered
  Scenario: Oldest first, one per page
    Given MPass registers the MNotify certificate of "unregistered"
    And I am MNotify sender "unregistered"
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Vechi"}, "body": {"ro": "1"}, "bodyShort": {"ro": "1"}, "recipients": [{"value": "a@example.md", "type": "Email"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "older"
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Nou"}, "body": {"ro": "2"}, "bodyShort": {"ro": "2"}, "recipients": [{"value": "b@example.md", "type": "Email"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "newer"
    When I send an MNotify GET to "/api/Notification?Page=2&ItemsPerPage=1&OrderField=createdAt"
    Then the MNotify answer is a list of 1 items
    And the MNotify answer has "[0].id" equal to "{newer}"

  @simulator @herald-design @cert-unregistered
  Scenario: A page past the end is empty
    Given MPass registers the MNotify certificate of "unregistered"
    And I am MNotify sender "unregistered"
    When I send an MNotify POST to "/api/Notification" with:
      """
      {"subject": {"ro": "Singur"}, "body": {"ro": "1"}, "bodyShort": {"ro": "1"}, "recipients": [{"value": "a@example.md", "type": "Email"}], "priority": "Low"}
      """
    Then the MNotify answer is an id remembered as "only"
    When I send an MNotify GET to "/api/Notification?Page=2&ItemsPerPage=1"
    Then the MNotify answer is a list of 0 items

  Scenario: SearchBy finds one notification by id
    When I send an MNotify GET to "/api/Notification?SearchBy={first}"
    Then the MNotify answer is a list of 1 items
    And the MNotify answer has "[0].id" equal to "{first}"

  Scenario: Paths match in any case, as the official client writes them
    When I send an MNotify GET to "/api/notification?Page=1&ItemsPerPage=1&OrderField=createdAt%20desc"
    Then the MNotify answer is a list of 1 items
    And the MNotify answer has "[0].id" equal to "{second}"

  @herald-design
  Scenario: Query parameter names match in any case, as in ASP.NET
    When I send an MNotify GET to "/api/notification?page=1&itemsperpage=1&orderfield=createdAt%20desc"
    Then the MNotify answer is a list of 1 items
    And the MNotify answer has "[0].id" equal to "{second}"

  @herald-design
  Scenario: An order Herald does not support is refused
    When I send an MNotify GET to "/api/Notification?OrderField=priority"
    Then the MNotify answer is a problem 400 naming "OrderField"
